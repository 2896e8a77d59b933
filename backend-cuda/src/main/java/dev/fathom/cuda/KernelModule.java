package dev.fathom.cuda;

import dev.fathom.cuda.KernelLauncher.Dim3;

/**
 * One module of the own kernels ({@code NAME.cu}; its image from {@link KernelImages}), loaded into
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

    /** The module's launcher, loading its image (the shipped machine code or PTX, or NVRTC's) on first use. */
    synchronized KernelLauncher launcher() {
        if (launcher == null) {
            launcher = device.launcher(name, device.images().sass(name), () -> device.images().image(name));
        }
        return launcher;
    }

    /**
     * Launches a grid-stride kernel over {@code n} elements with {@link LaunchGeometry#forElements};
     * nothing at all for {@code n = 0} (CUDA rejects an empty grid).
     */
    void launchElements(String op, Object shapes, String kernel, long n, KernelParams params) {
        launch(op, shapes, kernel, LaunchGeometry.forElements(n), params);
    }

    /** Launches {@code kernel} with {@code g}, or nothing when g is empty. */
    void launch(String op, Object shapes, String kernel, LaunchGeometry g, KernelParams params) {
        if (g.isEmpty()) {
            return;
        }
        launcher().launch(op, shapes, kernel, Dim3.of(g.grid()), Dim3.of(g.block()), 0, params);
    }

    /** Launches {@code kernel} with an explicit geometry. */
    void launch(String op, Object shapes, String kernel, Dim3 grid, Dim3 block, KernelParams params) {
        launcher().launch(op, shapes, kernel, grid, block, 0, params);
    }
}
