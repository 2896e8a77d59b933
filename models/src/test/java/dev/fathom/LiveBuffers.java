package dev.fathom;

import dev.fathom.tensor.Device;
import dev.fathom.tensor.internal.Backends;

/**
 * The CPU backend's live-buffer count for leak tests. Tests in one JVM share the backend, and a
 * tensor some other test left to the Cleaner may be freed in the middle of a measurement, which
 * would look like a negative leak; so a measurement starts from {@link #settled()}, after that
 * garbage is gone, and ends with {@link #now()} (settling at the end would hide a leak of
 * unreachable, unclosed tensors).
 */
public final class LiveBuffers {
    private LiveBuffers() {
    }

    /** The count once unreachable garbage has been collected and its buffers freed. */
    public static long settled() {
        long previous = -1;
        for (int attempt = 0; attempt < 50; attempt++) {
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = now();
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        return previous;
    }

    /** The count now. */
    public static long now() {
        return Backends.kernels(Device.cpu()).memoryStats().liveBuffers();
    }
}
