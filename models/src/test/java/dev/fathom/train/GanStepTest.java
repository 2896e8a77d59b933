package dev.fathom.train;

import dev.fathom.Fathom;
import dev.fathom.LiveBuffers;
import dev.fathom.models.Mlp;
import dev.fathom.nn.Linear;
import dev.fathom.optim.Adam;
import dev.fathom.optim.SGD;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.autograd.Autograd;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One GAN step against its closed form, divergence, and no leaks. */
class GanStepTest {

    private static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static double scalar(Tensor t) {
        return t.to(DType.F64).toDoubleArray()[0];
    }

    /**
     * G(z) = a·z + b and D(x) = w·x + c (1-D linear nets), plain SGD: the losses and the four
     * updated parameters follow from the derivatives written out by hand in F64. D's update uses
     * L_D alone (its gradient from L_G arrives after its step), G's uses L_G through the updated D.
     */
    @Test
    void oneStepMatchesTheClosedForm() {
        Fathom.seed(1);
        double[] r = {0.5, 1.5, -0.3}, z = {0.2, -1.0, 0.7};
        double lr = 0.1;
        try (Linear g = new Linear(1, 1); Linear d = new Linear(1, 1); SGD optG = new SGD(g.parameters(), lr);
             SGD optD = new SGD(d.parameters(), lr); Scope s = Scope.open()) {
            double a = scalar(g.weight().data()), b = scalar(g.bias().data()), w = scalar(d.weight().data()), c = scalar(d.bias().data());
            GanStep.Losses l = new GanStep(g, d, optG, optD).step(Tensor.of(r, 3, 1).to(DType.F32), Tensor.of(z, 3, 1).to(DType.F32), 1);

            int n = r.length;
            double lossD = 0, gw = 0, gc = 0;
            double[] f = new double[n];
            for (int j = 0; j < n; j++) {
                f[j] = a * z[j] + b;
                double lr_ = w * r[j] + c, lf = w * f[j] + c;
                lossD += (softplus(-lr_) + softplus(lf)) / n;
                gw += (-sigmoid(-lr_) * r[j] + sigmoid(lf) * f[j]) / n;
                gc += (-sigmoid(-lr_) + sigmoid(lf)) / n;
            }
            double w1 = w - lr * gw, c1 = c - lr * gc;
            double lossG = 0, ga = 0, gb = 0;
            for (int j = 0; j < n; j++) {
                double lf = w1 * f[j] + c1;
                lossG += softplus(-lf) / n;
                ga += -sigmoid(-lf) * w1 * z[j] / n;
                gb += -sigmoid(-lf) * w1 / n;
            }
            assertEquals(lossD, l.d(), 1e-5, "d_loss");
            assertEquals(lossG, l.g(), 1e-5, "g_loss");
            assertEquals(w1, scalar(d.weight().data()), 1e-5, "D weight");
            assertEquals(c1, scalar(d.bias().data()), 1e-5, "D bias");
            assertEquals(a - lr * ga, scalar(g.weight().data()), 1e-5, "G weight");
            assertEquals(b - lr * gb, scalar(g.bias().data()), 1e-5, "G bias");
        }
    }

    @Test
    void aNaNLossNamesTheStepAndTheLoss() {
        Fathom.seed(2);
        try (Mlp g = new Mlp(2, 4, 2); Mlp d = new Mlp(2, 4, 1); Adam optG = new Adam(g.parameters(), 1e-3);
             Adam optD = new Adam(d.parameters(), 1e-3); Scope s = Scope.open()) {
            GanStep step = new GanStep(g, d, optG, optD);
            try (var grad = Autograd.noGrad()) {
                d.parameters().get(0).data().fillInPlace(Double.NaN);
            }
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> step.step(Tensor.ones(DType.F32, 4, 2), Tensor.ones(DType.F32, 4, 2), 17));
            assertTrue(e.getMessage().contains("d_loss is NaN at step 17"), e.getMessage());
            assertEquals(0, optD.stepCount(), "the NaN loss updated nothing");
        }
    }

    @Test
    void badBatchesAreRejected() {
        try (Mlp g = new Mlp(2, 2); Mlp d = new Mlp(2, 1); Adam optG = new Adam(g.parameters(), 1e-3);
             Adam optD = new Adam(d.parameters(), 1e-3); Scope s = Scope.open()) {
            GanStep step = new GanStep(g, d, optG, optD);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> step.step(Tensor.zeros(0, 2), Tensor.ones(3, 2), 1));
            assertTrue(e.getMessage().contains("GanStep.step") && e.getMessage().contains("[0, 2]"), e.getMessage());
        }
    }

    @Test
    void stepsLeakNothing() {
        Fathom.seed(3);
        Generator noise = new Generator(4);
        try (Mlp g = new Mlp(2, 8, 2); Mlp d = new Mlp(2, 8, 1); Adam optG = new Adam(g.parameters(), 1e-3);
             Adam optD = new Adam(d.parameters(), 1e-3)) {
            GanStep step = new GanStep(g, d, optG, optD);
            oneStep(step, noise, 1);   // the first step creates the gradients and Adam's moments
            long before = LiveBuffers.settled();
            for (int i = 2; i <= 4; i++) {
                oneStep(step, noise, i);
            }
            assertEquals(before, LiveBuffers.now(), "live buffers after three more steps");
        }
    }

    private static void oneStep(GanStep step, Generator noise, int i) {
        try (Scope s = Scope.open()) {
            step.step(Tensor.randn(noise, DType.F32, 8, 2), Tensor.randn(noise, DType.F32, 8, 2), i);
        }
    }
}
