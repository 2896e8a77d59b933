package dev.fathom.models;

import dev.fathom.Fathom;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reference DCGAN's shapes, parameter counts and PyTorch state-dict keys. */
class DcganTest {

    /**
     * By hand, all layers with bias:
     * G: Linear 64→6272: 64·6272 + 6272 = 407,680; BatchNorm1d(6272): 2·6272 = 12,544;
     *    ConvT 128→64 4×4: 128·64·16 + 64 = 131,136; BatchNorm2d(64): 128; ConvT 64→1 4×4: 64·16 + 1 = 1,025;
     *    total 552,513.
     * D: Conv 1→64 4×4: 64·16 + 64 = 1,088; Conv 64→128 4×4: 128·64·16 + 128 = 131,200; BatchNorm2d(128): 256;
     *    Linear 6272→1: 6,273; total 138,817.
     */
    @Test
    void parameterCountsMatchTheReference() {
        Fathom.seed(0);
        try (Dcgan gan = new Dcgan()) {
            assertEquals(407_680 + 12_544 + 131_136 + 128 + 1_025, gan.generator().parameterCount());
            assertEquals(1_088 + 131_200 + 256 + 6_273, gan.discriminator().parameterCount());
        }
    }

    @Test
    void stateDictKeysArePyTorchs() {
        try (Dcgan gan = new Dcgan()) {
            assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
                    "4.weight", "4.bias", "5.weight", "5.bias", "5.running_mean", "5.running_var", "5.num_batches_tracked", "7.weight", "7.bias"),
                    List.copyOf(gan.generator().stateDict().keySet()));
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias", "3.running_mean", "3.running_var",
                    "3.num_batches_tracked", "6.weight", "6.bias"), List.copyOf(gan.discriminator().stateDict().keySet()));
            assertArrayEquals(new int[] {128, 64, 4, 4}, gan.generator().stateDict().get("4.weight").shape(), "ConvT weight (in, out, kH, kW)");
            assertArrayEquals(new int[] {1, 6272}, gan.discriminator().stateDict().get("6.weight").shape());
        }
    }

    @Test
    void shapesAndRanges() {
        Fathom.seed(0);
        try (Dcgan gan = new Dcgan(); Scope s = Scope.open()) {
            Tensor img = gan.generator().forward(Tensor.randn(new Generator(1), DType.F32, 3, Dcgan.Z_DIM));
            assertArrayEquals(new int[] {3, 1, 28, 28}, img.shape());
            for (float v : img.toFloatArray()) {
                assertTrue(v >= -1 && v <= 1, "tanh output " + v);
            }
            Tensor logits = gan.discriminator().forward(img);
            assertArrayEquals(new int[] {3, 1}, logits.shape());
        }
    }

    @Test
    void badInputsNameTheExpectedShape() {
        try (Dcgan gan = new Dcgan(); Scope s = Scope.open()) {
            IllegalArgumentException g = assertThrows(IllegalArgumentException.class, () -> gan.generator().forward(Tensor.zeros(2, 100)));
            assertTrue(g.getMessage().contains("[B, 64]") && g.getMessage().contains("[2, 100]"), g.getMessage());
            IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> gan.discriminator().forward(Tensor.zeros(2, 784)));
            assertTrue(d.getMessage().contains("[B, 1, 28, 28]") && d.getMessage().contains("[2, 784]"), d.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new DcganGenerator(0));
        }
    }
}
