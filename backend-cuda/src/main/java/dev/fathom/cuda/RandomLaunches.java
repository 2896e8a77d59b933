package dev.fathom.cuda;

import dev.fathom.spi.RandomOp;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;

import java.util.Locale;

/**
 * The host side of {@code random.cu}: Philox fills that give the CPU's streams bit for bit. One
 * thread per pair of elements (one Philox block each), so the geometry is
 * {@link LaunchGeometry#forElements} of {@code ⌈n/2⌉}.
 */
final class RandomLaunches {
    private final CudaKernels kernels;
    private final KernelModule module;

    RandomLaunches(CudaKernels kernels, CudaDevice device) {
        this.kernels = kernels;
        this.module = new KernelModule(device, "random");
    }

    void random(RandomOp op, Strided out, long seed, long counter, double a, double b) {
        String name = op.name().toLowerCase(Locale.ROOT);
        CudaBuffer ob = kernels.buffer(out, name);
        DType t = ob.dtype();
        Object shapes = LazyText.of(() -> Shape.format(out.shape()) + " " + t);
        if (!t.isFloating() && op != RandomOp.BERNOULLI) {
            throw new IllegalArgumentException("cuda: " + name + " fills F32 or F64, got " + shapes
                    + "; fill a float tensor and convert it");
        }
        if (out.numel() > 0 && !out.isContiguous()) {
            throw new IllegalArgumentException("cuda: " + name + ": the output must be contiguous, got " + out);
        }
        long n = out.numel();
        module.launchElements(name, shapes, "random_" + CudaBuffer.suffix(t), (n + 1) / 2, KernelParams.of().i32(op.ordinal())
                .ptr(ob.address()).i64(out.offset()).i64(n).i64(seed).i64(counter).f64(a).f64(b));
    }
}
