package dev.fathom.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shape arithmetic: NumPy broadcasting, dim normalization and their error messages. */
class ShapeTest {

    @Test
    void broadcastFollowsNumPy() {
        assertArrayEquals(new int[] {2, 3}, Shape.broadcast("add", new int[] {2, 3}, new int[] {2, 3}));
        assertArrayEquals(new int[] {4}, Shape.broadcast("add", new int[] {}, new int[] {4}));
        assertArrayEquals(new int[] {3, 4}, Shape.broadcast("add", new int[] {3, 1}, new int[] {1, 4}));
        assertArrayEquals(new int[] {5, 4, 3}, Shape.broadcast("add", new int[] {5, 1, 3}, new int[] {4, 1}));
        assertArrayEquals(new int[] {0, 3}, Shape.broadcast("add", new int[] {0, 3}, new int[] {1, 3}), "1 broadcasts to 0");
        assertArrayEquals(new int[] {0}, Shape.broadcast("add", new int[] {1}, new int[] {0}));
        assertArrayEquals(new int[] {}, Shape.broadcast("add", new int[] {}, new int[] {}));
    }

    @Test
    void broadcastFailureNamesOpShapesAndDim() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shape.broadcast("mul", new int[] {2, 3}, new int[] {4, 3}));
        assertEquals("mul: shapes [2, 3] and [4, 3] cannot be broadcast: size 2 vs 4 at dim -2 (sizes must match or be 1)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shape.broadcast("add", new int[] {0}, new int[] {2}));
        assertTrue(e.getMessage().contains("[0]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void dimNormalizesNegativeDimsAndRejectsOutOfRange() {
        int[] s = {2, 3, 4};
        assertEquals(2, Shape.dim("sum", -1, s));
        assertEquals(0, Shape.dim("sum", -3, s));
        assertEquals(1, Shape.dim("sum", 1, s));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.dim("sum", 3, s));
        assertEquals("sum: dim 3 is out of range for shape [2, 3, 4]; valid dims are [-3, 2]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shape.dim("softmax", -4, s));
        assertTrue(e.getMessage().startsWith("softmax: dim -4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shape.dim("max", 0, new int[] {}));
        assertTrue(e.getMessage().contains("0-d"), e.getMessage());
    }

    @Test
    void dimsSortsAndRejectsDuplicates() {
        assertArrayEquals(new int[] {0, 2}, Shape.dims("sum", new int[] {-1, 0}, new int[] {2, 3, 4}));
        assertArrayEquals(new int[] {0, 1, 2}, Shape.dims("sum", new int[0], new int[] {2, 3, 4}), "no dims means all");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.dims("sum", new int[] {1, -2}, new int[] {2, 3, 4}));
        assertTrue(e.getMessage().contains("sum") && e.getMessage().contains("more than once") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
    }

    @Test
    void numelAndStrides() {
        assertEquals(1, Shape.numel(new int[] {}));
        assertEquals(0, Shape.numel(new int[] {3, 0, 2}));
        assertEquals(24, Shape.numel(new int[] {2, 3, 4}));
        assertArrayEquals(new long[] {12, 4, 1}, Shape.contiguousStrides(new int[] {2, 3, 4}));
        assertArrayEquals(new long[] {2, 2, 1}, Shape.contiguousStrides(new int[] {3, 0, 2}), "a size-0 dim counts as 1 for strides");
        assertEquals("[2, 3]", Shape.format(new int[] {2, 3}));
        assertEquals("[]", Shape.format(new int[] {}));
    }

    @Test
    void checkRejectsNegativeSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.check("Tensor.zeros", new int[] {2, -1}));
        assertEquals("Tensor.zeros: negative size in shape [2, -1]", e.getMessage());
    }
}
