package dev.fathom.bench;

import dev.fathom.Fathom;
import dev.fathom.models.Dcgan;
import dev.fathom.optim.Adam;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.train.GanStep;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One training step of the reference DCGAN ({@code fathom train dcgan}, {@code dcgan_fmnist.py}):
 * a {@link GanStep} (D on real and on detached fake, D update, G through the updated D, G update)
 * with Adam(2e-4, β 0.5/0.999) for each net, on a fixed batch of {@code batch} images in [−1, 1]
 * and a fixed noise batch already on the device; steps/s is {@code 1 / time}. The reference draws
 * fresh noise and a new data slice per step, which costs next to nothing beside the two nets.
 *
 * <p>Warm-up is 10 s, some 80 steps: the peer takes the median after its first 20 steps, and with
 * three 1 s rounds (six steps, the first 2.7 s) the measured rounds still fell from 147 to 94 ms.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
public class DcganStepBenchmark extends BackendBenchmark {

    @Param({"64"})
    public int batch;

    private Device device;
    private Dcgan gan;
    private Adam optG;
    private Adam optD;
    private GanStep gs;
    private Tensor real;
    private Tensor z;
    private long step;

    @Setup(Level.Trial)
    public void setUp() {
        device = Device.parse(backend);
        Fathom.seed(0);
        gan = new Dcgan();
        gan.generator().to(device).train();
        gan.discriminator().to(device).train();
        optG = new Adam(gan.generator().parameters(), Dcgan.adam());
        optD = new Adam(gan.discriminator().parameters(), Dcgan.adam());
        gs = new GanStep(gan.generator(), gan.discriminator(), optG, optD);
        Generator g = new Generator(42);
        try (Scope s = Scope.open()) {
            real = Scope.escape(Tensor.rand(g, DType.F32, batch, 1, 28, 28).mul(2).sub(1).to(device));
            z = Scope.escape(Tensor.randn(g, DType.F32, batch, Dcgan.Z_DIM).to(device));
        }
    }

    @Benchmark
    public double step() {
        GanStep.Losses losses = gs.step(real, z, ++step);   // reads both losses: the device has finished
        return losses.d() + losses.g();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        real.close();
        z.close();
        optG.close();
        optD.close();
        gan.close();
    }
}
