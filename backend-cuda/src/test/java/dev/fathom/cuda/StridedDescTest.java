package dev.fathom.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.fathom.spi.Strided;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java packing of the kernels' operand descriptor against the C header, compiled with g++. */
class StridedDescTest {

    @Test
    void packedBytesDecodeToTheSameLayoutInC(@TempDir Path tmp) throws Exception {
        byte[] packed = StridedDesc.pack(new int[] {3, 1, 5}, new long[] {1, 0, 3}, 123_456_789_012L);
        assertEquals(StridedDesc.BYTES, packed.length);
        Path exe = Emulator.compile("strided_desc_test", tmp);
        String out = Emulator.run(List.of(exe.toString(), HexFormat.of().formatHex(packed)), "strided_desc_test", 60);
        assertTrue(out.contains("sizeof 144 rank 0 offset 8 sizes 16 strides 80"), out);
        assertTrue(out.contains("rank 3 offset 123456789012 sizes 3 1 5 1 1 1 1 1 strides 1 0 3 0 0 0 0 0"), out);
    }

    @Test
    void moreThanEightDimsAreRefusedWithTheShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StridedDesc.pack(new int[9], new long[9], 0));
        assertTrue(e.getMessage().contains("at most 8 dims") && e.getMessage().contains("[0, 0, 0, 0, 0, 0, 0, 0, 0]"), e.getMessage());
    }

    @Test
    void contiguousOperandsMergeIntoOneDim() {
        int[] shape = {2, 3, 4};
        byte[][] d = StridedDesc.packCoalesced(layout(shape, new long[] {12, 4, 1}, 0), layout(shape, new long[] {12, 4, 1}, 7));
        assertEquals("rank 1 offset 0 sizes [24] strides [1]", decode(d[0]));
        assertEquals("rank 1 offset 7 sizes [24] strides [1]", decode(d[1]));
    }

    @Test
    void aBiasBroadcastOverRowsKeepsTwoDimsAndSizeOneDimsAreDropped() {
        int[] shape = {5, 1, 4};
        byte[][] d = StridedDesc.packCoalesced(layout(shape, new long[] {4, 4, 1}, 0), layout(shape, new long[] {0, 9, 1}, 3));
        assertEquals("rank 2 offset 0 sizes [5, 4] strides [4, 1]", decode(d[0]));
        assertEquals("rank 2 offset 3 sizes [5, 4] strides [0, 1]", decode(d[1]));
        byte[][] scalar = StridedDesc.packCoalesced(layout(new int[] {1, 1}, new long[] {1, 1}, 2));
        assertEquals("rank 0 offset 2 sizes [] strides []", decode(scalar[0]));
    }

    /** Any layout: every flat index must reach the same element through the merged descriptor (fathom_offset, in Java). */
    @Test
    void mergedDescriptorsAddressTheSameElements() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 500; trial++) {
            int rank = 1 + rnd.nextInt(5);
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) {
                shape[i] = 1 + rnd.nextInt(4);
            }
            Strided[] ops = new Strided[1 + rnd.nextInt(3)];
            for (int o = 0; o < ops.length; o++) {
                long[] st = Strided.contiguousStrides(shape);
                int kind = rnd.nextInt(4);
                if (kind == 1 && rank > 1) {  // swap two dims' strides: a transposed view
                    int a = rnd.nextInt(rank), b = rnd.nextInt(rank);
                    long t = st[a];
                    st[a] = st[b];
                    st[b] = t;
                } else if (kind == 2) {       // broadcast one dim
                    st[rnd.nextInt(rank)] = 0;
                } else if (kind == 3) {       // a slice: every stride doubled
                    for (int i = 0; i < rank; i++) {
                        st[i] *= 2;
                    }
                }
                ops[o] = layout(shape, st, rnd.nextInt(10));
            }
            byte[][] d = StridedDesc.packCoalesced(ops);
            long n = ops[0].numel();
            for (int o = 0; o < ops.length; o++) {
                for (long i = 0; i < n; i++) {
                    assertEquals(offset(ops[o].shape(), ops[o].strides(), ops[o].offset(), i), offset(d[o], i),
                            "trial " + trial + " operand " + o + " index " + i + ": " + decode(d[o]));
                }
            }
        }
    }

    private static Strided layout(int[] shape, long[] strides, long offset) {
        return new Strided(null, shape, strides, offset);
    }

    private static long offset(int[] shape, long[] strides, long offset, long i) {
        for (int k = shape.length - 1; k >= 0; k--) {
            offset += (i % shape[k]) * strides[k];
            i /= shape[k];
        }
        return offset;
    }

    /** fathom_offset over the packed bytes. */
    private static long offset(byte[] desc, long i) {
        ByteBuffer b = ByteBuffer.wrap(desc).order(ByteOrder.LITTLE_ENDIAN);
        int rank = b.getInt(0);
        long off = b.getLong(8);
        for (int k = rank - 1; k >= 0; k--) {
            long size = b.getLong(16 + 8 * k), stride = b.getLong(16 + 8 * StridedDesc.MAX_RANK + 8 * k);
            off += (i % size) * stride;
            i /= size;
        }
        return off;
    }

    private static String decode(byte[] desc) {
        ByteBuffer b = ByteBuffer.wrap(desc).order(ByteOrder.LITTLE_ENDIAN);
        int rank = b.getInt(0);
        long[] sizes = new long[rank], strides = new long[rank];
        for (int k = 0; k < rank; k++) {
            sizes[k] = b.getLong(16 + 8 * k);
            strides[k] = b.getLong(16 + 8 * StridedDesc.MAX_RANK + 8 * k);
        }
        return "rank " + rank + " offset " + b.getLong(8) + " sizes " + java.util.Arrays.toString(sizes) + " strides "
                + java.util.Arrays.toString(strides);
    }
}
