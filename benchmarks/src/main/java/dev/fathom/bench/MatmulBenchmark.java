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
 * {@code Tensor.matmul} of two n×n F32 matrices on one backend; report GFLOP/s as
 * {@code 2n³ / time}. Unavailable backends fail in setup with their reason.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MatmulBenchmark extends OpBenchmark {

    @Param({"256", "512", "1024", "2048"})
    public int n;

    private Tensor a;
    private Tensor b;
    private Device device;

    @Setup(Level.Trial)
    public void setUp() {
        device = Device.parse(backend);
        Generator g = new Generator(42);
        try (Scope s = Scope.open()) {   // closes the host-side originals when they were copied
            a = Scope.escape(Tensor.randn(g, DType.F32, n, n).to(device));
            b = Scope.escape(Tensor.randn(g, DType.F32, n, n).to(device));
        }
    }

    @Benchmark
    public void matmul() {
        try (Scope s = Scope.open()) {
            for (int i = 0; i < repeat; i++) {
                a.matmul(b);
            }
            device.synchronize();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
    }
}
