package dev.fathom.models;

import dev.fathom.Fathom;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.optim.Adam;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The zoo's models: PyTorch's parameter counts and names, output shapes, and that they learn. */
class ZooTest {

    @Test
    void parameterCountsMatchTheSameArchitecturesInPyTorch() {
        // torch: sum(p.numel() for p in model.parameters()) for the peers' definitions.
        try (Module mlp = Zoo.MLP.create(); Module cnn = Zoo.CNN.create()) {
            assertEquals(784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10, mlp.parameterCount());
            assertEquals(235_146, mlp.parameterCount());
            assertEquals((32 * 9 + 32) + (64 * 32 * 9 + 64) + (3136 * 128 + 128) + (128 * 10 + 10), cnn.parameterCount());
            assertEquals(421_642, cnn.parameterCount());
        }
    }

    @Test
    void aModelBuiltFromItsOwnGeneratorIsTheSeededGlobalOnesAndLeavesTheGlobalAlone() {
        java.util.List<java.util.function.Function<dev.fathom.tensor.Generator, Module>> builds = new java.util.ArrayList<>();
        for (Zoo z : Zoo.values()) {
            builds.add(z::create);
        }
        builds.add(g -> new DcganGenerator(Dcgan.Z_DIM, g));
        builds.add(DcganDiscriminator::new);
        for (var build : builds) {
            Fathom.seed(5);
            try (Module global = build.apply(dev.fathom.tensor.Generator.global())) {
                double next = Tensor.rand(1).itemDouble();
                Fathom.seed(99);
                try (Module own = build.apply(new dev.fathom.tensor.Generator(5))) {
                    Map<String, Tensor> a = global.stateDict(), b = own.stateDict();
                    assertEquals(a.keySet(), b.keySet());
                    for (String key : a.keySet()) {
                        assertArrayEquals(a.get(key).toFloatArray(), b.get(key).toFloatArray(), global + " " + key);
                    }
                }
                Fathom.seed(99);
                double untouched = Tensor.rand(1).itemDouble();
                Fathom.seed(99);
                try (Module own = build.apply(new dev.fathom.tensor.Generator(5))) {
                    assertEquals(untouched, Tensor.rand(1).itemDouble(), "building from its own generator draws nothing from the global one");
                }
                assertTrue(next != untouched);
            }
        }
    }

    @Test
    void resNetHasBatchNormStateAndProjectionShortcuts() {
        try (ResNet net = new ResNet()) {
            Map<String, Tensor> state = net.stateDict();
            assertTrue(state.containsKey("stages.1.downsample.weight"), state.keySet().toString());
            assertTrue(state.containsKey("stages.2.bn2.running_var"), state.keySet().toString());
            assertTrue(!state.containsKey("stages.0.downsample.weight"), "the first block keeps its shape: identity shortcut");
            assertArrayEquals(new int[] {32, 16, 1, 1}, state.get("stages.1.downsample.weight").shape());
            assertTrue(state.containsKey("stem.weight") && !state.containsKey("stem.bias"), "no bias before a batch norm: " + state.keySet());
        }
    }

    @Test
    void everyModelMapsABatchToTenLogitsAndLearnsIt() {
        for (Zoo z : Zoo.values()) {
            Fathom.seed(1);
            try (Module net = z.create(); Adam adam = new Adam(net.parameters(), 1e-3); Scope s = Scope.open()) {
                int[] shape = new int[z.exampleShape().length + 1];
                shape[0] = 8;
                System.arraycopy(z.exampleShape(), 0, shape, 1, z.exampleShape().length);
                Tensor x = Tensor.rand(shape);
                Tensor y = Tensor.of(new long[] {0, 1, 2, 3, 4, 5, 6, 7}, 8);
                assertArrayEquals(new int[] {8, 10}, net.forward(x).shape(), z.id());
                double first = Double.NaN, last = Double.NaN;
                for (int step = 0; step < 25; step++) {
                    try (Scope inner = Scope.open()) {
                        Tensor loss = Functional.crossEntropy(net.forward(x), y);
                        last = loss.itemDouble();
                        if (step == 0) {
                            first = last;
                        }
                        adam.zeroGrad();
                        loss.backward();
                        adam.step();
                    }
                }
                assertTrue(last < 0.5 * first, z.id() + " memorizes 8 examples: loss " + first + " -> " + last);
                net.eval();
                assertArrayEquals(new int[] {8, 10}, net.forward(x).shape(), z.id() + " in eval mode");
            }
        }
    }

    @Test
    void wrongInputShapesAreRejectedWithTheShape() {
        try (ConvNet cnn = new ConvNet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cnn.forward(Tensor.zeros(2, 784)));
            assertTrue(e.getMessage().contains("[2, 784]") && e.getMessage().contains("[B, 1, 28, 28]"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Zoo.byId("vgg"));
        assertEquals(Zoo.CNN, Zoo.byId("CNN"));
    }
}
