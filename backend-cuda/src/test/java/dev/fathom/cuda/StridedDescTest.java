package dev.fathom.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

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
}
