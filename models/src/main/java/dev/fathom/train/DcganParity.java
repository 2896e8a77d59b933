package dev.fathom.train;

import dev.fathom.Fathom;
import dev.fathom.data.SplitMix64;
import dev.fathom.models.Dcgan;
import dev.fathom.optim.Adam;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link Parity} for the reference {@link Dcgan}: both nets initialized once per device from the
 * same seed (on the CPU, then copied), trained for a few {@link GanStep}s with the reference Adam
 * settings on the same batches on each device; the discriminator's and the generator's losses are
 * compared step by step, each in its own report ({@code dcgan/d}, {@code dcgan/g}).
 *
 * <p>The batches are synthetic, as {@link Parity}'s: "real" images uniform in [−1, 1) from
 * SplitMix64({@code seed}), noise N(0, 1) from {@code Generator(seed)}, both drawn on the CPU, so
 * a check needs no Fashion-MNIST on the machine.
 *
 * <p>Compare two steps, not fifty: Adam divides each gradient by its own magnitude, so a
 * gradient that is rounding noise (the biases before a batch norm, whose true gradient is zero, and a
 * few transposed-conv weights with {@code |g| ≲ 1e-7}) becomes a full ±lr step whose sign depends
 * on the summation order. Two correct backends then differ by 2e-4 in a few weights after step 1,
 * and the GAN amplifies that: on the CPU alone, moving two of the generator's 131,072 transposed-conv
 * weights by 2.7e-4 after step 1 changes the losses by ~1e-6 at step 2, ~1e-4 at step 3 and ~1e-3 at
 * step 5, which is what the CPU and cuda-emu show (batch 4, seed 0), while with the weights re-synced
 * before each step they agree to 7e-7 at every step. At batch 64 it comes later (7e-8 at step 3,
 * 3e-4 by step 10).
 */
public final class DcganParity {
    private DcganParity() {
    }

    /** {@code steps} GAN steps of batch {@code batch} on each of {@code devices}: the D-loss report, then the G-loss report. */
    public static List<Parity.Report> run(long seed, int steps, int batch, List<Device> devices) {
        // BatchNorm1d in training needs more than one value per channel.
        if (steps < 1 || batch < 2 || devices.isEmpty()) {
            throw new IllegalArgumentException("dcgan parity: need steps >= 1, batch >= 2 (batch norm) and at least one device (got steps "
                    + steps + ", batch " + batch + ", devices " + devices + ")");
        }
        for (Device d : devices) {
            Backends.kernels(d);  // an unusable device fails here, before any run
        }
        List<Parity.Run> d = new ArrayList<>();
        List<Parity.Run> g = new ArrayList<>();
        for (Device device : devices) {
            double[][] losses = train(seed, steps, batch, device);
            d.add(new Parity.Run(device, losses[0]));
            g.add(new Parity.Run(device, losses[1]));
        }
        return List.of(Parity.compare(Dcgan.ID + "/d", d), Parity.compare(Dcgan.ID + "/g", g));
    }

    /** The D losses and the G losses of each step. */
    private static double[][] train(long seed, int steps, int batch, Device device) {
        Device previous = Fathom.defaultDevice();
        Fathom.setDefaultDevice(Device.cpu());
        Fathom.seed(seed);
        double[][] losses = new double[2][steps];
        SplitMix64 rng = new SplitMix64(seed);
        Generator noise = new Generator(seed);
        try (Dcgan gan = new Dcgan()) {
            gan.generator().to(device);
            gan.discriminator().to(device);
            try (Adam optG = new Adam(gan.generator().parameters(), Dcgan.adam());
                 Adam optD = new Adam(gan.discriminator().parameters(), Dcgan.adam())) {
                GanStep gs = new GanStep(gan.generator(), gan.discriminator(), optG, optD);
                for (int s = 0; s < steps; s++) {
                    float[] real = new float[batch * 28 * 28];
                    for (int i = 0; i < real.length; i++) {
                        real[i] = (rng.nextLong() >>> 40) * 0x1.0p-23f - 1;
                    }
                    try (Scope scope = Scope.open()) {
                        Tensor z = Tensor.randn(noise, DType.F32, batch, Dcgan.Z_DIM).to(device);
                        GanStep.Losses l = gs.step(Tensor.of(real, batch, 1, 28, 28).to(device), z, s + 1);
                        losses[0][s] = l.d();
                        losses[1][s] = l.g();
                    }
                }
            }
        } finally {
            Fathom.setDefaultDevice(previous);
        }
        return losses;
    }
}
