package dev.fathom.cpu;

import java.util.Arrays;

/**
 * Per-thread float arrays that kernels reuse from call to call, so that a training step after the
 * first allocates no scratch: each slot keeps the largest array any call on its thread has asked
 * for. Callers must not depend on the array's length (it may be longer than asked) and, from
 * {@link #of}, must not depend on its contents.
 */
final class ThreadScratch {
    private final ThreadLocal<float[]> slot = ThreadLocal.withInitial(() -> new float[0]);

    /** At least {@code size} floats, whatever an earlier call on this thread left in them. */
    float[] of(int size) {
        float[] s = slot.get();
        if (s.length < size) {
            s = new float[size];
            slot.set(s);
        }
        return s;
    }

    /** At least {@code size} floats with the first {@code size} zero, as a new array's would be. */
    float[] zeroed(int size) {
        float[] s = of(size);
        Arrays.fill(s, 0, size, 0f);
        return s;
    }
}
