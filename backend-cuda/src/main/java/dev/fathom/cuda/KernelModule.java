package dev.fathom.cuda;

import dev.fathom.cuda.KernelLauncher.Dim3;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * One PTX module of the own kernels ({@code resources/dev/fathom/cuda/ptx/NAME.ptx}), loaded into
 * the device the first time one of its kernels is launched, so a program that never reduces never
 * JIT-compiles {@code reduce.ptx}. Thread-safe.
 */
final class KernelModule {
    private final CudaDevice device;
    private final String name;
    private KernelLauncher launcher;

    KernelModule(CudaDevice device, String name) {
        this.device = device;
        this.name = name;
    }

    /** The module's launcher, loading the PTX on first use. */
    synchronized KernelLauncher launcher() {
        if (launcher == null) {
            launcher = device.launcher(name, ptx(name));
        }
        return launcher;
    }

    /** The committed PTX of module {@code name}. */
    static byte[] ptx(String name) {
        String path = "ptx/" + name + ".ptx";
        try (InputStream in = KernelModule.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("cuda: the kernel module dev/fathom/cuda/" + path
                        + " is not on the class path; the backend-cuda jar is incomplete (run scripts/build-kernels)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cuda: reading dev/fathom/cuda/" + path, e);
        }
    }

    /**
     * Launches a grid-stride kernel over {@code n} elements with {@link LaunchGeometry#forElements};
     * nothing at all for {@code n = 0} (CUDA rejects an empty grid).
     */
    void launchElements(String op, String shapes, String kernel, long n, KernelParams params) {
        LaunchGeometry g = LaunchGeometry.forElements(n);
        if (g.isEmpty()) {
            return;
        }
        launcher().launch(op, shapes, kernel, Dim3.of(g.grid()), Dim3.of(g.block()), 0, params);
    }

    /** Launches {@code kernel} with an explicit geometry. */
    void launch(String op, String shapes, String kernel, Dim3 grid, Dim3 block, KernelParams params) {
        launcher().launch(op, shapes, kernel, grid, block, 0, params);
    }
}
