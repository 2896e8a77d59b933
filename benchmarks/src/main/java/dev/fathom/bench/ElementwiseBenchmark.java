package dev.fathom.bench;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Memory-bound ops on {@code n} F32 elements: {@code a + b} moves 12n bytes, {@code sum(a)} 4n,
 * so GB/s is bytes / time, to set against the device's memory bandwidth.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ElementwiseBenchmark {

    @Param({"cpu"})
    public String backend;

    @Param({"16777216"})
    public int n;

    private Tensor a;
    private Tensor b;
    private Device device;

    @Setup(Level.Trial)
    public void setUp() {
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
            a.add(b);
            device.synchronize();
        }
    }

    @Benchmark
    public void sum() {
        try (Scope s = Scope.open()) {
            a.sum();
            device.synchronize();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
    }
}
