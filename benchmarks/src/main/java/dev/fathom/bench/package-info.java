/**
 * JMH benchmarks of the tensor API on each backend. Each benchmark takes the backend as a
 * {@code @Param}, runs its op inside a {@link dev.fathom.tensor.Scope} so that no memory builds
 * up across invocations, and waits for the device before returning, so asynchronous backends
 * are timed for the work, not for enqueueing it.
 *
 * <p>{@code CharLmStepBenchmark} times one training step of the reference character LMs (arch gpt
 * or lstm, batch 32 × 128), the step {@code fathom train charlm} and the PyTorch peers time.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp
 * "benchmarks/target/benchmarks-<version>.jar:benchmarks/target/lib/*" org.openjdk.jmh.Main}.
 */
package dev.fathom.bench;
