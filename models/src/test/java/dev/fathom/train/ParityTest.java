package dev.fathom.train;

import dev.fathom.LiveBuffers;
import dev.fathom.models.Zoo;
import dev.fathom.spi.Backend;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Golden parity: the same seeded steps agree across runs and across backends. */
class ParityTest {

    @Test
    void runsLeaveNoBuffersBehind() {
        long before = LiveBuffers.settled();
        Parity.run(Zoo.CNN, 3, 2, 4, List.of(Device.cpu()));
        Parity.run(Zoo.MLP, 3, 2, 4, List.of(Device.cpu()));
        assertEquals(before, LiveBuffers.now());
    }

    @Test
    void theSameDeviceTwiceGivesBitIdenticalLosses() {
        Parity.Report r = Parity.run(Zoo.MLP, 7, 5, 16, List.of(Device.cpu(), Device.cpu()));
        assertEquals(0.0, r.maxRelativeDifference());
        double[] l = r.runs().getFirst().losses();
        // An untrained 10-class classifier predicts nearly uniformly: cross-entropy ≈ ln 10.
        assertEquals(Math.log(10), l[0], 0.15);
        for (double v : l) {
            assertTrue(Double.isFinite(v), () -> java.util.Arrays.toString(l));
        }
        assertTrue(r.describe().startsWith("mlp cpu "), r.describe());
    }

    @Test
    void everyOtherAvailableBackendAgreesWithTheCpuOnMlpAndCnn() {
        List<Device> devices = new ArrayList<>(List.of(Device.cpu()));
        List<String> skipped = new ArrayList<>();
        for (Backend b : Backends.all()) {
            if (!b.name().equals("cpu")) {
                if (b.availability().available()) {
                    devices.add(new Device(b.name(), 0));
                } else {
                    skipped.add(b.name() + ": " + b.availability().reason());
                }
            }
        }
        Assumptions.assumeTrue(devices.size() > 1, () -> "no backend besides the CPU is available here (" + skipped + ")");
        // The CNN at 12 steps of 16: on cuda-emu each run of 50 steps of 64 takes ~2 min, and at 32 per
        // batch the runs part past 1e-4 (1.7e-4 at step 20): at steps 4 and 6 a second max-pool window
        // holds two values < 1e-7 apart (and step 4 a pre-activation within 1e-7 of 0), so rounding picks
        // a different argmax / ReLU mask and the conv gradients differ by 1e-3 (at equal weights; every
        // other step's gradients agree to 1.5e-6), which Adam then amplifies ×5 a step: no kernel error.
        Parity.Report mlp = Parity.run(Zoo.MLP, 0, 50, 64, devices);
        assertTrue(mlp.maxRelativeDifference() <= 1e-4, mlp.describe());
        Parity.Report cnn = Parity.run(Zoo.CNN, 0, 12, 16, devices);
        assertTrue(cnn.maxRelativeDifference() <= 1e-4, cnn.describe());
    }

    @Test
    void sgdRunsStartFromTheSameLossAsAdamAndThenTakeTheirOwnSteps() {
        double[] adam = Parity.run(Zoo.MLP, 4, 2, 8, List.of(Device.cpu())).runs().getFirst().losses();
        double[] sgd = Parity.run(Zoo.MLP, 4, 2, 8, List.of(Device.cpu()), Parity.Optim.SGD).runs().getFirst().losses();
        assertEquals(adam[0], sgd[0], 0.0, "step 1 sees the same weights and batch");
        assertTrue(Math.abs(adam[1] - sgd[1]) > 1e-6, () -> "step 2 must follow each optimizer's update: adam " + adam[1] + ", sgd " + sgd[1]);
    }

    @Test
    void badArgumentsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parity.run(Zoo.MLP, 0, 0, 16, List.of(Device.cpu())));
        assertTrue(e.getMessage().contains("steps 0"), e.getMessage());
    }
}
