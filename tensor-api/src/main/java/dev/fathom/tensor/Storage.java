package dev.fathom.tensor;

import dev.fathom.spi.Buffer;
import dev.fathom.spi.Kernels;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend buffer shared by all the tensors that view it. Each view holds one reference; the
 * buffer goes back to the backend when the last view is closed. A {@link Cleaner} frees it if
 * every view becomes unreachable unclosed: the safety net, never the plan.
 *
 * <p>{@link #version} counts in-place writes, so that autograd can refuse to differentiate through
 * a tensor that was modified after it was saved for backward.
 */
final class Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    final Buffer buffer;
    final Kernels kernels;
    private final AtomicInteger refs = new AtomicInteger();
    private final Cleaner.Cleanable cleanable;
    private int version;

    Storage(Kernels kernels, Buffer buffer) {
        this.kernels = kernels;
        this.buffer = buffer;
        this.cleanable = CLEANER.register(this, new Free(kernels, buffer));
    }

    /** Frees the buffer at most once, whether called by close or by the Cleaner. */
    private static final class Free implements Runnable {
        private final Kernels kernels;
        private final Buffer buffer;

        Free(Kernels kernels, Buffer buffer) {
            this.kernels = kernels;
            this.buffer = buffer;
        }

        @Override
        public void run() {
            kernels.free(buffer);
        }
    }

    void retain() {
        refs.incrementAndGet();
    }

    /** How many open tensors share this storage. */
    int refs() {
        return refs.get();
    }

    void release() {
        if (refs.decrementAndGet() == 0) {
            cleanable.clean();
        }
    }

    int version() {
        return version;
    }

    void bumpVersion() {
        version++;
    }
}
