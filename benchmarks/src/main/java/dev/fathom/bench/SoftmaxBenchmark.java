package dev.fathom.bench;

import dev.fathom.autograd.Autograd;
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
 * {@code softmax} over the rows of a {@code [rows, cols]} F32 matrix (the last dimension), forward
 * only. A single pass has to read the input and write the output once, so the traffic counted for
 * GB/s is {@code 8·rows·cols} bytes; the default 8192 × 1024 (32 MiB each way) is larger than the
 * last-level cache of the machines we run on, so the number is set against memory bandwidth.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SoftmaxBenchmark extends BackendBenchmark {

    @Param({"8192"})
    public int rows;

    @Param({"1024"})
    public int cols;

    private Device device;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() {
        device = Device.parse(backend);
        try (Scope s = Scope.open()) {
            x = Scope.escape(Tensor.randn(new Generator(42), DType.F32, rows, cols).to(device));
            // A fast wrong kernel must not win: each row of the result sums to 1.
            double worst = x.softmax(1).sum(1).sub(1).abs().max().itemDouble();
            if (!(worst < 1e-4)) {
                throw new IllegalStateException("SoftmaxBenchmark: rows of softmax sum to 1 ± " + worst + " on " + backend);
            }
        }
    }

    @Benchmark
    public void softmax() {
        try (Scope s = Scope.open(); var off = Autograd.noGrad()) {
            x.softmax(1);
            device.synchronize();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
    }
}
