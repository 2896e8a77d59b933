package dev.fathom.train;

import dev.fathom.data.CharCorpus;
import dev.fathom.models.CharLmFixtures;
import dev.fathom.models.Gpt;
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

/** The same seeded GPT steps on every available backend agree with the CPU's. */
class CharLmParityTest {
    private static final CharCorpus CORPUS = CharCorpus.of(CharLmFixtures.text2000());
    private static final Gpt.Config SMALL = new Gpt.Config(CORPUS.vocabSize(), 16, 32, 2, 4, false);

    /**
     * Not bit-identical: the CPU backend's Vector API EXP (softmax, log-softmax) rounds differently
     * in interpreted or C1 code than in C2 code (SVML), by an ulp, so two runs in one JVM at
     * different stages of warm-up differ at ~1e-7 (seen after the cuda-emu parity run: 1.13e-7).
     */
    @Test
    void theCpuTwiceAgreesToRoundingAndStartsAtLnV() {
        Parity.Report r = CharLmParity.run(SMALL, CORPUS, 1, 4, 4, List.of(Device.cpu(), Device.cpu()));
        assertTrue(r.maxRelativeDifference() <= 1e-6, r.describe());
        double[] l = r.runs().getFirst().losses();
        assertEquals(Math.log(CORPUS.vocabSize()), l[0], 0.05, r.describe());
        for (double v : l) {
            assertTrue(Double.isFinite(v), r.describe());
        }
    }

    @Test
    void everyOtherAvailableBackendAgreesWithTheCpu() {
        List<Device> devices = new ArrayList<>(List.of(Device.cpu()));
        List<String> skipped = new ArrayList<>();
        for (Backend b : Backends.all()) {
            if (!b.name().equals("cpu")) {
                if (b.availability().available() && b.deviceCount() > 0) {
                    devices.add(new Device(b.name(), 0));
                } else {
                    skipped.add(b.name() + ": " + b.availability().reason());
                }
            }
        }
        Assumptions.assumeTrue(devices.size() > 1, () -> "no backend besides the CPU is available here (" + skipped + ")");
        Parity.Report r = CharLmParity.run(SMALL, CORPUS, 0, 10, 8, devices);
        assertTrue(r.maxRelativeDifference() <= 1e-4, r.describe());
    }

    @Test
    void badArgumentsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CharLmParity.run(new Gpt.Config(5, 8, 8, 1, 1, false), CORPUS, 0, 1, 1, List.of(Device.cpu())));
        assertTrue(e.getMessage().contains("vocab 5 vs the corpus's " + CORPUS.vocabSize()), e.getMessage());
    }
}
