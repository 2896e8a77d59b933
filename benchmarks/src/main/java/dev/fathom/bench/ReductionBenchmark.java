package dev.fathom.bench;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * {@code sum} over one axis of a {@code [rows, cols]} F32 matrix: axis 1 reduces each row
 * (contiguous), axis 0 each column (strided: the kernel must walk rows and keep a row of partial
 * sums). GB/s counts the input read once plus the output written: {@code 4·rows·cols + 4·out}
 * bytes.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ReductionBenchmark extends BackendBenchmark {

    @Param({"4096"})
    public int rows;

    @Param({"4096"})
    public int cols;

    @Param({"0", "1"})
    public int axis;

    private Device device;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() {
        if (axis != 0 && axis != 1) {
            throw new IllegalArgumentException("ReductionBenchmark: axis must be 0 or 1, got " + axis);
        }
        device = Device.parse(backend);
        try (Scope s = Scope.open()) {
            x = Scope.escape(Tensor.rand(new Generator(42), DType.F32, rows, cols).to(device));
            // A fast wrong kernel must not win: both axes must give the same total as the full sum.
            double total = x.sum().itemDouble();
            double viaAxis = x.sum(axis).sum().itemDouble();
            if (!(Math.abs(viaAxis - total) <= 1e-4 * Math.abs(total))) {
                throw new IllegalStateException("ReductionBenchmark: sum over axis " + axis + " adds up to " + viaAxis + ", the full sum is "
                        + total + " on " + backend);
            }
        }
    }

    @Benchmark
    public void sumAxis() {
        try (Scope s = Scope.open()) {
            x.sum(axis);
            device.synchronize();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
    }
}
