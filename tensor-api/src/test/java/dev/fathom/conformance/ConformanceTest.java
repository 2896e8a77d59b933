package dev.fathom.conformance;

import dev.fathom.Fathom;
import dev.fathom.tensor.Device;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.AfterEach;

/**
 * Base of the conformance tests. Each {@link BackendTest} starts with {@link #use}, which skips the
 * test when the backend cannot run here, makes its device the default (so factories such as
 * {@code Tensor.of} create tensors there), reseeds the global generator and opens a scope; after
 * the test the scope closes every tensor the test made and the default device is restored.
 */
public abstract class ConformanceTest {
    private Scope scope;

    /** Selects {@code backend} for this test (or skips it with the reason); returns its device. */
    protected Device use(TestBackends.Case backend) {
        Device device = backend.device();
        Fathom.setDefaultDevice(device);
        Fathom.seed(1234);
        scope = Scope.open();
        return device;
    }

    /**
     * The backend's live-buffer count once unreachable garbage from earlier tests has been freed by
     * the Cleaner (which runs after a GC, on its own thread), so that a count taken now is not
     * lowered later by someone else's garbage. Only for the start of a measurement: settling at
     * the end would hide a leak of unreachable, unclosed tensors.
     */
    protected static long settledLiveBuffers(Device device) {
        Kernels k = Backends.kernels(device);
        long previous = -1;
        for (int attempt = 0; attempt < 20; attempt++) {
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = k.memoryStats().liveBuffers();
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        return previous;
    }

    @AfterEach
    void releaseBackend() {
        if (scope != null) {
            scope.close();
            scope = null;
        }
        Fathom.setDefaultDevice(null);
    }
}
