/**
 * JMH benchmarks of the tensor API on each backend. Each benchmark takes the backend as a
 * {@code @Param}, runs its op inside a {@link dev.fathom.tensor.Scope} so that no memory builds
 * up across invocations, and waits for the device before returning, so asynchronous backends
 * are timed for the work, not for enqueueing it. Where a fast wrong kernel could win, setup checks
 * the result first.
 *
 * <ul>
 *   <li>Ops: {@code MatmulBenchmark} (GEMM, N = 256…2048), {@code ConvBenchmark} (the reference
 *       CNN's layers, forward and forward + backward), {@code ElementwiseBenchmark} (add, full
 *       sum), {@code ReductionBenchmark} (sum over an axis), {@code SoftmaxBenchmark} and
 *       {@code LayerNormBenchmark} (over rows), {@code AttentionBenchmark} (GPT-sized, causal).</li>
 *   <li>Training steps of the reference workloads: {@code TrainStepBenchmark} (MLP, CNN, batch
 *       128), {@code CharLmStepBenchmark} (GPT and LSTM char-LMs, 32 × 128) and
 *       {@code DcganStepBenchmark} (batch 64).</li>
 * </ul>
 *
 * <p>{@code scripts/bench} runs them all through {@link dev.fathom.bench.run.BenchMain} and writes
 * the side-by-side report ({@link dev.fathom.bench.report}). One benchmark by hand:
 * {@code java --add-modules jdk.incubator.vector -cp
 * "benchmarks/target/benchmarks-<version>.jar:benchmarks/target/lib/*" org.openjdk.jmh.Main MatmulBenchmark}.
 */
package dev.fathom.bench;
