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
 * Memory-bound ops on {@code n} F32 elements: {@code a + b} moves 12n bytes, {@code sum(a)} 4n, and
 * {@code sumColumns}, the column sums of a seen as {@code [n / 1024, 1024]} (a bias gradient over a
 * large batch), 4n (its 4 KB of output aside), so GB/s is bytes / time, to set against the device's
 * memory bandwidth.
 *
 * <p>Each result is closed as soon as it is made, as PyTorch drops {@code a + b} in its timing
 * loop: its memory goes back to the allocator's cache and the next op reuses it, so a long
 * {@link #repeat} (gpu-check queues 100 of these per synchronization) keeps memory flat.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ElementwiseBenchmark extends OpBenchmark {

    /** The columns of {@link #sumColumns}'s matrix. */
    public static final int COLUMNS = 1024;

    @Param({"16777216"})
    public int n;

    private Tensor a;
    private Tensor b;
    private Device device;

    @Setup(Level.Trial)
    public void setUp() {
        if (n % COLUMNS != 0) {
            throw new IllegalArgumentException("ElementwiseBenchmark: n must be a multiple of " + COLUMNS + " (sumColumns' rows), got " + n);
        }
        device = Device.parse(backend);
        Generator g = new Generator(42);
        try (Scope s = Scope.open()) {
            a = Scope.escape(Tensor.randn(g, DType.F32, n).to(device));
            b = Scope.escape(Tensor.randn(g, DType.F32, n).to(device));
        }
    }

    @Benchmark
    public void add() {
        try (Scope s = Scope.open()) {
            for (int i = 0; i < repeat; i++) {
                a.add(b).close();
            }
            device.synchronize();
        }
    }

    @Benchmark
    public void sum() {
        try (Scope s = Scope.open()) {
            for (int i = 0; i < repeat; i++) {
                a.sum().close();
            }
            device.synchronize();
        }
    }

    @Benchmark
    public void sumColumns() {
        try (Scope s = Scope.open()) {
            Tensor rows = a.reshape(n / COLUMNS, COLUMNS);
            for (int i = 0; i < repeat; i++) {
                rows.sum(0).close();
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
