package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Module images: the shipped PTX, or the shipped CUDA C handed to the run-time compiler with its header. */
class KernelImagesTest {

    @Test
    void shippedPtxIsTheCommittedResource() {
        KernelImages m = new KernelImages(CudaPlan.KernelSource.SHIPPED_PTX, 9, 0, (n, s, h, o) -> {
            throw new AssertionError("no compiler when the PTX is used");
        });
        byte[] ptx = m.image("gemm");
        String text = new String(ptx, StandardCharsets.US_ASCII);
        assertTrue(text.contains(".version 9.0") && text.contains(".visible .entry"), text.substring(0, 200));
        assertSame(ptx, m.image("gemm"), "loaded once");
    }

    @Test
    void machineCodeIsShippedFor8xAnd90Only() {
        CudaPlan plan = CudaPlan.ownKernels();
        for (int[] cc : new int[][] {{8, 0}, {8, 6}, {8, 9}, {9, 0}}) {
            byte[] fatbin = KernelImages.forPlan(plan, cc[0], cc[1]).sass("gemm");
            assertTrue(fatbin != null && fatbin.length > 1000, cc[0] + "." + cc[1]);
            // The fatbin magic 0xBA55ED50, little-endian.
            assertArrayEquals(new byte[] {0x50, (byte) 0xed, 0x55, (byte) 0xba}, java.util.Arrays.copyOf(fatbin, 4));
        }
        for (int[] cc : new int[][] {{7, 5}, {9, 1}, {10, 0}, {12, 0}}) {
            assertNull(KernelImages.forPlan(plan, cc[0], cc[1]).sass("gemm"), cc[0] + "." + cc[1] + " takes the PTX");
        }
        assertSame(KernelImages.forPlan(plan, 8, 6), KernelImages.forPlan(plan, 8, 6), "one cache per architecture");
        assertNull(KernelImages.shipped().sass("gemm"), "no architecture known: the PTX");
        assertNull(new KernelImages(CudaPlan.KernelSource.NVRTC, 9, 0, (n, src, h, o) -> new byte[0]).sass("gemm"),
                "NVRTC compiles from source");
        for (String module : List.of("softmax", "norm", "optim", "attention", "recurrent", "conv", "pool", "elementwise", "gemm",
                "index", "random", "reduce")) {
            assertNotNull(KernelImages.forPlan(plan, 9, 0).sass(module), module + " ships machine code");
        }
    }

    @Test
    void nvrtcGetsTheSourceItsHeaderAndTheGpusArchitecture() {
        List<String> calls = new ArrayList<>();
        KernelImages m = new KernelImages(CudaPlan.KernelSource.NVRTC, 8, 6, (name, source, headers, options) -> {
            calls.add(name);
            assertTrue(source.contains("#include \"fathom_kernels.cuh\""));
            assertTrue(headers.containsKey("fathom_kernels.cuh"), headers.keySet().toString());
            assertTrue(headers.get("fathom_kernels.cuh").contains("StridedDesc"));
            assertEquals(List.of("--gpu-architecture=sm_86", "-std=c++17"), options, "machine code: a driver older than NVRTC"
                    + " refuses its PTX");
            return ("ptx of " + name).getBytes(StandardCharsets.US_ASCII);
        });
        assertArrayEquals("ptx of reduce.cu".getBytes(StandardCharsets.US_ASCII), m.image("reduce"));
        m.image("reduce");
        assertEquals(List.of("reduce.cu"), calls, "compiled once");
    }

    @Test
    void everyHeaderASourceReachesIsHandedOver() {
        KernelImages m = new KernelImages(CudaPlan.KernelSource.NVRTC, 9, 0, (name, source, headers, options) -> {
            for (String h : headers.keySet()) {
                assertTrue(!h.isEmpty() && headers.get(h) != null, h);
            }
            java.util.regex.Matcher inc = java.util.regex.Pattern.compile("(?m)^#include \"([\\w.]+)\"").matcher(
                    source + String.join("\n", headers.values()));
            while (inc.find()) {
                assertTrue(headers.containsKey(inc.group(1)), name + " needs " + inc.group(1));
            }
            return new byte[] {1};
        });
        for (String module : List.of("softmax", "norm", "optim", "attention", "recurrent", "conv", "pool", "elementwise", "gemm", "index",
                "random", "reduce")) {
            m.image(module);
        }
    }

    @Test
    void missingModulesAndNoSourceAreClearErrors() {
        KernelImages m = new KernelImages(CudaPlan.KernelSource.SHIPPED_PTX, 9, 0, (n, s, h, o) -> new byte[0]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.image("nope"));
        assertTrue(e.getMessage().contains("/dev/fathom/cuda/ptx/nope.ptx is not on the class path"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new KernelImages(CudaPlan.KernelSource.NONE, 9, 0, null));
    }
}
