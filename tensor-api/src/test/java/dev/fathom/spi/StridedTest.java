package dev.fathom.spi;

import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StridedTest {
    private static final Buffer BUFFER = new Buffer() {
        @Override
        public DType dtype() {
            return DType.F32;
        }

        @Override
        public long capacity() {
            return 64;
        }
    };

    @Test
    void contiguousLayoutsAreContiguousEvenWhenEmpty() {
        for (int[] shape : new int[][] {{}, {5}, {2, 3, 4}, {2, 0, 1}, {0}, {3, 0}, {1, 4, 1}}) {
            assertTrue(Strided.contiguous(BUFFER, shape).isContiguous(), java.util.Arrays.toString(shape));
        }
        assertTrue(new Strided(BUFFER, new int[] {1, 4}, new long[] {99, 1}, 0).isContiguous(), "a size-1 dim's stride is free");
        assertFalse(new Strided(BUFFER, new int[] {3, 4}, new long[] {1, 3}, 0).isContiguous(), "transposed");
        assertFalse(new Strided(BUFFER, new int[] {3, 4}, new long[] {0, 1}, 0).isContiguous(), "broadcast");
    }
}
