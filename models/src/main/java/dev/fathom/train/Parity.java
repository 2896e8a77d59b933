package dev.fathom.train;

import dev.fathom.Fathom;
import dev.fathom.data.SplitMix64;
import dev.fathom.models.Zoo;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.optim.Adam;
import dev.fathom.optim.Optimizer;
import dev.fathom.optim.SGD;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The same seeded training run on several devices, to check that backends agree: one model
 * initialized once, copied to each device, trained for a number of Adam steps on identical
 * batches; the per-step losses are compared with the first device's.
 *
 * <p>The batches are synthetic (uniform inputs in [0, 1), uniform labels, from SplitMix64), so a
 * check needs no dataset on the machine; what is compared is arithmetic, not accuracy.
 *
 * <p>Two optimizers, because they carry a rounding difference differently. Adam divides each
 * update by the root of its running squared gradient, so a gradient that differs only by rounding
 * still moves its weight by about lr: a max-pool window whose two values are 1e-7 apart, or a
 * pre-activation within 1e-7 of 0, picks a different argmax or ReLU mask on two backends, and Adam
 * carries that difference into every later step (the CNN, 50 steps of 64, CPU vs an H200 with
 * cuDNN: 3.1e-4 at step 44, with no kernel error). SGD with momentum moves each weight in
 * proportion to its gradient, so the same tie changes the losses by about its own size, and a loss
 * difference over 1e-4 then points at arithmetic.
 */
public final class Parity {

    /** The optimizer of a parity run. */
    public enum Optim {
        /** Adam, lr 1e-3: the reference workloads' optimizer. */
        ADAM,
        /** SGD, lr 0.01, momentum 0.9. */
        SGD;

        Optimizer create(List<Parameter> params) {
            return this == ADAM ? new Adam(params, 1e-3) : new SGD(params, new SGD.Config(0.01, 0.9, 0, false, 0));
        }
    }

    /** The losses of one device's run, step by step. */
    public record Run(Device device, double[] losses) {
        public Run {
            losses = losses.clone();
        }

        @Override
        public double[] losses() {
            return losses.clone();
        }
    }

    /**
     * Every run, and the largest relative difference {@code |l − l_ref| / |l_ref|} of any loss
     * from the reference run's (the first device) at the same step, with where it occurred.
     */
    public record Report(String model, List<Run> runs, double maxRelativeDifference, int worstStep, Device worstDevice) {
        public Report {
            runs = List.copyOf(runs);
        }

        /** One line per device with its first and last loss and its largest difference from the reference. */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            Run ref = runs.getFirst();
            for (Run r : runs) {
                double[] l = r.losses();
                sb.append(String.format(Locale.ROOT, "%s %-8s loss step 1 %.6f, step %d %.6f, max rel. diff from %s %.2e%n", model,
                        r.device(), l[0], l.length, l[l.length - 1], ref.device(), Parity.maxRelativeDifference(ref.losses(), l)));
            }
            return sb.toString();
        }
    }

    private Parity() {
    }

    /**
     * Trains {@code steps} steps of {@code model} (batch {@code batchSize}, Adam lr 1e-3) on each of
     * {@code devices}, from the same initial weights ({@code seed}) and the same batches.
     */
    public static Report run(Zoo model, long seed, int steps, int batchSize, List<Device> devices) {
        return run(model, seed, steps, batchSize, devices, Optim.ADAM);
    }

    /** As {@link #run(Zoo, long, int, int, List)}, with {@code optim} instead of Adam. */
    public static Report run(Zoo model, long seed, int steps, int batchSize, List<Device> devices, Optim optim) {
        Objects.requireNonNull(model, "Parity: model is null");
        Objects.requireNonNull(optim, "Parity: optim is null");
        if (steps < 1 || batchSize < 1 || devices.isEmpty()) {
            throw new IllegalArgumentException("parity: need steps ≥ 1, batch size ≥ 1 and at least one device (got steps " + steps
                    + ", batch size " + batchSize + ", devices " + devices + ")");
        }
        for (Device d : devices) {
            Backends.kernels(d);  // an unusable device fails here, with its reason, before any run
        }
        List<Run> runs = new ArrayList<>();
        for (Device d : devices) {
            runs.add(new Run(d, train(model, seed, steps, batchSize, d, optim)));
        }
        return compare(model.id(), runs);
    }

    /** The report of {@code runs} (the first is the reference): the worst step of any run, NaN counting as the worst. */
    static Report compare(String model, List<Run> runs) {
        double worst = 0;
        int worstStep = 1;
        Device worstDevice = runs.getFirst().device();
        double[] ref = runs.getFirst().losses();
        for (Run r : runs) {
            double[] l = r.losses();
            for (int s = 0; s < ref.length; s++) {
                double rel = relativeDifference(ref[s], l[s]);
                if (!(rel <= worst)) {  // NaN counts as the worst
                    worst = rel;
                    worstStep = s + 1;
                    worstDevice = r.device();
                }
            }
        }
        return new Report(model, runs, worst, worstStep, worstDevice);
    }

    static double maxRelativeDifference(double[] ref, double[] l) {
        double worst = 0;
        for (int s = 0; s < ref.length; s++) {
            double rel = relativeDifference(ref[s], l[s]);
            worst = rel > worst || Double.isNaN(rel) ? rel : worst;
        }
        return worst;
    }

    private static double relativeDifference(double ref, double x) {
        return Math.abs(x - ref) / Math.max(Math.abs(ref), 1e-12);
    }

    private static double[] train(Zoo zoo, long seed, int steps, int batchSize, Device device, Optim optim) {
        Fathom.seed(seed);
        int[] example = zoo.exampleShape();
        int features = 1;
        for (int e : example) {
            features *= e;
        }
        int[] inputShape = new int[example.length + 1];
        inputShape[0] = batchSize;
        System.arraycopy(example, 0, inputShape, 1, example.length);
        double[] losses = new double[steps];
        SplitMix64 rng = new SplitMix64(seed);
        try (Module m = zoo.create()) {
            m.to(device).train();
            try (Optimizer opt = optim.create(m.parameters())) {
                steps(m, opt, rng, inputShape, features, batchSize, device, losses);
            }
        }
        return losses;
    }

    /** {@code losses.length} optimizer steps on synthetic batches: inputs uniform in [0, 1), labels uniform over 10 classes. */
    private static void steps(Module m, Optimizer opt, SplitMix64 rng, int[] inputShape, int features, int batchSize, Device device,
            double[] losses) {
        for (int s = 0; s < losses.length; s++) {
            float[] x = new float[batchSize * features];
            long[] y = new long[batchSize];
            for (int i = 0; i < x.length; i++) {
                x[i] = (rng.nextLong() >>> 40) * 0x1.0p-24f;
            }
            for (int i = 0; i < batchSize; i++) {
                y[i] = rng.below(10);
            }
            try (Scope scope = Scope.open()) {
                Tensor input = Tensor.of(x, inputShape).to(device);
                Tensor target = Tensor.of(y, batchSize).to(device);
                Tensor loss = Functional.crossEntropy(m.forward(input), target);
                opt.zeroGrad();
                loss.backward();
                opt.step();
                losses[s] = loss.itemDouble();
            }
        }
    }
}
