package dev.fathom.bench;

import dev.fathom.nn.Convolutions;
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
 * {@code Convolutions.conv2d} (3×3, padding 1, bias) on the reference CNN's two layers, batch 128,
 * F32: {@code conv1} is [128, 1, 28, 28] → 32 channels, {@code conv2} is [128, 32, 14, 14] → 64.
 * {@code forward} times the forward pass alone; {@code forwardBackward} adds the backward pass to
 * input, weight and bias. FLOPs per forward: {@code 2·N·C_out·OH·OW·C_in·9} (about 58 M for conv1,
 * 925 M for conv2); the backward pass costs about twice that.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ConvBenchmark extends OpBenchmark {

    @Param({"conv1", "conv2"})
    public String layer;

    private Tensor x;
    private Tensor w;
    private Tensor b;
    private Device device;

    @Setup(Level.Trial)
    public void setUp() {
        device = Device.parse(backend);
        int cIn = layer.equals("conv1") ? 1 : 32, size = layer.equals("conv1") ? 28 : 14, cOut = layer.equals("conv1") ? 32 : 64;
        Generator g = new Generator(42);
        try (Scope s = Scope.open()) {   // closes the host-side originals when they were copied
            x = Scope.escape(Tensor.randn(g, DType.F32, 128, cIn, size, size).to(device).requiresGrad(true));
            w = Scope.escape(Tensor.randn(g, DType.F32, cOut, cIn, 3, 3).mul(0.1).to(device).requiresGrad(true));
            b = Scope.escape(Tensor.zeros(DType.F32, device, cOut).requiresGrad(true));
        }
    }

    @Benchmark
    public void forward() {
        try (Scope s = Scope.open()) {
            for (int i = 0; i < repeat; i++) {
                Convolutions.conv2d(x.detach(), w.detach(), b.detach(), 1, 1, 1, 1);
            }
            device.synchronize();
        }
    }

    @Benchmark
    public void forwardBackward() {
        try (Scope s = Scope.open()) {
            for (int i = 0; i < repeat; i++) {
                Convolutions.conv2d(x, w, b, 1, 1, 1, 1).sum().backward();
                x.setGrad(null);
                w.setGrad(null);
                b.setGrad(null);
            }
            device.synchronize();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        w.close();
        b.close();
    }
}
