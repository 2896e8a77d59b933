package dev.fathom.cuda;

import dev.fathom.spi.Buffer;
import dev.fathom.spi.ReduceOp;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link KernelProfiler} around the {@link FakeDriver}: every own launch and cuBLAS call gets its
 * pair of events and is counted under its kernel's name, the counts agree with the launches the
 * driver saw, FILE holds the table, and a refused event leaves the call itself alone.
 */
class KernelProfilerTest {

    private static Strided c(Buffer b, int... shape) {
        return Strided.contiguous(b, shape);
    }

    /** The calls column of each row of a profile: kernel name to count. */
    private static Map<String, Integer> calls(String report) {
        Map<String, Integer> rows = new java.util.TreeMap<>();
        Matcher m = Pattern.compile("(?m)^(\\S+)\\s+(\\d+)\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+%$").matcher(report);
        while (m.find()) {
            rows.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return rows;
    }

    @Test
    void everyLaunchAndLibraryCallIsTimedUnderItsName(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("kernels.txt");
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(KernelProfiler.wrap(d, file), 0, 0, KernelImages.shipped(), true)) {
            Buffer a = k.allocate(DType.F32, 64 * 32), b = k.allocate(DType.F32, 32 * 16), out = k.allocate(DType.F32, 64 * 16);
            Buffer sums = k.allocate(DType.F32, 16);
            int created = 0;
            for (int i = 0; i < 3; i++) {
                k.matmul(c(a, 64, 32), c(b, 32, 16), c(out, 64, 16));
                k.reduce(ReduceOp.SUM, c(out, 64, 16), new int[] {0}, c(sums, 1, 16));
                k.synchronize();
                if (i == 0) {
                    created = d.calls("cuEventCreate");
                }
            }
            assertEquals(created, d.calls("cuEventCreate"), "the events of calls already read are reused");
        }
        String report = Files.readString(file);
        Map<String, Integer> rows = calls(report);
        assertEquals(3, d.calls("cublasSgemmStridedBatched"));
        assertEquals(3, rows.get("cublasSgemmStridedBatched"), report);
        assertEquals(3, d.launches("reduce_cols_sum_f32x4").size());
        assertEquals(3, rows.get("reduce_cols_sum_f32x4"), report);
        int launched = rows.entrySet().stream().filter(e -> !e.getKey().startsWith("cublas")).mapToInt(Map.Entry::getValue).sum();
        assertEquals(d.launches().size(), launched, "every own launch is in the table: " + report);
        assertTrue(report.startsWith("fathom cuda profile (-Dfathom.cuda.profile): " + (launched + 3) + " calls timed on the GPU"),
                report);
    }

    @Test
    void pendingCallsAreReadWithoutASynchronizeOnceThereAreEnough(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("kernels.txt");
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(KernelProfiler.wrap(d, file), 0)) {
            Buffer x = k.allocate(DType.F32, 64), out = k.allocate(DType.F32, 1);
            int before = d.calls("cuStreamSynchronize"), waits = d.calls("cuEventSynchronize");
            for (int i = 0; i < KernelProfiler.MAX_PENDING; i++) {
                k.reduce(ReduceOp.SUM, c(x, 64), new int[] {0}, c(out, 1));
            }
            assertEquals(before, d.calls("cuStreamSynchronize"), "no stream synchronize in between");
            assertEquals(waits + 1, d.calls("cuEventSynchronize"), "one wait, at the limit");
            assertEquals(KernelProfiler.MAX_PENDING, calls(Files.readString(file)).get("reduce_f32"));
        }
    }

    @Test
    void aRefusedEventLeavesTheCallAloneAndCountsItUntimed(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("kernels.txt");
        FakeDriver d = new FakeDriver() {
            private int records;

            @Override
            public synchronized int eventRecord(long event, long stream) {
                return ++records == 3 ? 400 : super.eventRecord(event, stream);  // the first call's end event
            }
        }.anyKernel();
        try (CudaKernels k = CudaKernels.open(KernelProfiler.wrap(d, file), 0)) {
            Buffer x = k.allocate(DType.F32, 64), out = k.allocate(DType.F32, 1);
            k.reduce(ReduceOp.SUM, c(x, 64), new int[] {0}, c(out, 1));
            k.reduce(ReduceOp.SUM, c(x, 64), new int[] {0}, c(out, 1));
            k.synchronize();
        }
        assertEquals(2, d.launches("reduce_f32").size(), "both ran");
        String report = Files.readString(file);
        assertEquals(1, calls(report).get("reduce_f32"), report);
        assertTrue(report.contains("; 1 calls untimed (an event call failed)"), report);
    }

    @Test
    void withoutAFileTheDriverIsNotWrapped() {
        FakeDriver d = new FakeDriver();
        assertSame(d, KernelProfiler.wrap(d, null));
    }

    @Test
    void theFileMustBeInAnExistingDirectory(@TempDir Path tmp) {
        assertNull(KernelProfiler.file(null));
        assertEquals(tmp.resolve("k.txt"), KernelProfiler.file(" " + tmp.resolve("k.txt") + " "));
        IllegalArgumentException blank = assertThrows(IllegalArgumentException.class, () -> KernelProfiler.file("  "));
        assertEquals("-Dfathom.cuda.profile is blank; name a file in an existing directory, e.g. -Dfathom.cuda.profile=/tmp/kernels.txt",
                blank.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> KernelProfiler.file(tmp.resolve("no/k.txt").toString()));
        assertTrue(missing.getMessage().contains("its directory " + tmp.resolve("no") + " does not exist"), missing.getMessage());
        IllegalArgumentException dir = assertThrows(IllegalArgumentException.class, () -> KernelProfiler.file(tmp.toString()));
        assertTrue(dir.getMessage().endsWith(
                "is a directory; name a file in an existing directory, e.g. -Dfathom.cuda.profile=/tmp/kernels.txt"), dir.getMessage());
        List<String> problems = CudaProperties.problems(name -> name.equals(KernelProfiler.PROPERTY) ? tmp.toString() : null);
        assertEquals(List.of(dir.getMessage()), problems, "the plan refuses CUDA with the same reason");
    }
}
