package dev.fathom.bench;

import org.openjdk.jmh.annotations.Param;

/**
 * A benchmark of one op, which each invocation runs {@link #repeat} times before it synchronizes
 * the device once. With {@code repeat} 1 (the default) the score is the op as a synchronous caller
 * sees it, launch and synchronization included: on a CPU that is all there is. On a GPU the round
 * trip of a synchronization (tens of µs) would swamp a 50 µs kernel, while PyTorch's timings
 * (events around at least a second of back-to-back calls) measure the kernels alone;
 * {@code -p repeat=10 -opi 10} keeps the GPU's queue full the same way and still reports the time
 * per op. Each invocation still pays once for its first launch to reach the GPU and for its
 * synchronization to come back (together some 10–20 µs), so every op carries a repeat-th of that:
 * a few per cent of a 30 µs memory-bound kernel at 10, which is why gpu-check runs those at 100.
 */
public abstract class OpBenchmark extends BackendBenchmark {

    /** Launches per invocation, each followed by none of the others' synchronization; pass JMH the same {@code -opi}. */
    @Param({"1"})
    public int repeat;
}
