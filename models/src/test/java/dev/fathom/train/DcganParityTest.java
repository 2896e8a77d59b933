package dev.fathom.train;

import dev.fathom.LiveBuffers;
import dev.fathom.tensor.Device;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The same seeded DCGAN steps (D and G losses) on every available backend agree with the CPU's. */
class DcganParityTest {

    /**
     * Step 1 by hand: D's last layer is Linear(6272 → 1) with PyTorch's default init, U(±1/√6272),
     * over batch-normalized, LeakyReLU'd features, so its logits are O(0.1) and each BCE term of L_D is
     * near ln 2: L_D ≈ 2 ln 2. L_G is taken after D's first Adam step, which moves each of those 6272
     * weights by about lr = 2e-4 against the fakes, coherently: D(fake) drops by O(0.5), and L_G =
     * softplus(−D(fake)) is well above ln 2 (PyTorch on fixed weights: 1.007, TorchGoldenTest).
     */
    @Test
    void theCpuTwiceGivesTheSameLossesAndPlausibleFirstOnes() {
        long before = LiveBuffers.settled();
        List<Parity.Report> r = DcganParity.run(3, 3, 4, List.of(Device.cpu(), Device.cpu()));
        assertEquals(before, LiveBuffers.now(), "buffers left behind");
        assertEquals(2, r.size());
        Parity.Report d = r.get(0), g = r.get(1);
        assertEquals("dcgan/d", d.model());
        assertEquals("dcgan/g", g.model());
        assertTrue(d.maxRelativeDifference() <= 1e-6, d.describe());
        assertTrue(g.maxRelativeDifference() <= 1e-6, g.describe());
        assertEquals(2 * Math.log(2), d.runs().getFirst().losses()[0], 0.25, d.describe());
        double g1 = g.runs().getFirst().losses()[0];
        assertTrue(g1 > Math.log(2) + 0.1 && g1 < 2, g.describe());
    }

    /**
     * Two steps of batch 4 (cuda-emu runs the whole DCGAN: ~3 s a step): step 1 runs every layer's
     * forward and backward and D's first Adam step, step 2 Adam with its moments. More steps would
     * not test more: the backends part by ~1e-4 at step 3 with no kernel error (see {@link DcganParity}).
     */
    @Test
    void everyOtherAvailableBackendAgreesWithTheCpu() {
        List<Device> devices = ParityDevices.cpuAndOthers();
        for (Parity.Report r : DcganParity.run(0, 2, 4, devices)) {
            assertTrue(r.maxRelativeDifference() <= 1e-4, r.describe());
        }
    }

    @Test
    void badArgumentsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DcganParity.run(0, 1, 1, List.of(Device.cpu())));
        assertTrue(e.getMessage().contains("batch >= 2") && e.getMessage().contains("batch 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DcganParity.run(0, 0, 4, List.of()));
        assertTrue(e.getMessage().contains("steps 0"), e.getMessage());
    }
}
