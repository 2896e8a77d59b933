package dev.fathom.bench;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Functional;
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
 * {@code Functional.layerNorm} over the rows of a {@code [rows, cols]} F32 matrix, with weight and
 * bias, forward only. The least traffic a kernel can get away with is reading the input once and
 * writing the output once ({@code 8·rows·cols} bytes; weight and bias are {@code 8·cols} and
 * stay in cache), which is what GB/s counts.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LayerNormBenchmark extends BackendBenchmark {

    @Param({"8192"})
    public int rows;

    @Param({"1024"})
    public int cols;

    private Device device;
    private Tensor x;
    private Tensor weight;
    private Tensor bias;

    @Setup(Level.Trial)
    public void setUp() {
        device = Device.parse(backend);
        Generator g = new Generator(42);
        try (Scope s = Scope.open()) {
            x = Scope.escape(Tensor.randn(g, DType.F32, rows, cols).mul(3).add(1).to(device));
            weight = Scope.escape(Tensor.ones(DType.F32, cols).to(device));
            bias = Scope.escape(Tensor.zeros(DType.F32, cols).to(device));
            // A fast wrong kernel must not win: with unit weight and zero bias every row has mean 0, variance 1.
            Tensor y = layerNorm();
            double mean = y.mean(1).abs().max().itemDouble();
            double var = y.mul(y).mean(1).sub(1).abs().max().itemDouble();
            if (!(mean < 1e-4 && var < 1e-3)) {
                throw new IllegalStateException("LayerNormBenchmark: rows have |mean| up to " + mean + " and |var - 1| up to " + var + " on "
                        + backend);
            }
        }
    }

    private Tensor layerNorm() {
        return Functional.layerNorm(x, new int[] {cols}, weight, bias, 1e-5);
    }

    @Benchmark
    public void layerNormForward() {
        try (Scope s = Scope.open(); var off = Autograd.noGrad()) {
            layerNorm();
            device.synchronize();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        weight.close();
        bias.close();
    }
}
