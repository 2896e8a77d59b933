package dev.fathom.cuda;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NativeCublas} against {@code src/test/cuda/fake_cublas.cpp}, a host-side stand-in with the
 * same six C signatures, built by g++ as {@code libcublas.so.13} (skipped, with the reason, where
 * there is no g++). What it checks is the binding: that each argument reaches the place cuBLAS's
 * header gives it, compared with F64 loops over the column-major definition.
 */
class NativeCublasTest {
    @TempDir
    static Path dir;
    private static Path library;
    private static NativeCublas cublas;
    private static MethodHandle liveHandles;
    private static MethodHandle streamOf;

    @BeforeAll
    static void build() throws Exception {
        assumeTrue(Emulator.gppAvailable(), "no g++ to build the stand-in cuBLAS");
        library = dir.resolve("libcublas.so.13");
        Emulator.run(List.of("g++", "-std=c++20", "-O1", "-fPIC", "-shared", "-o", library.toString(),
                Emulator.EMU_SRC.resolve("fake_cublas.cpp").toString()), "building fake_cublas.cpp", 120);
        cublas = NativeCublas.open(List.of(dir.resolve("libcublas.so.99").toString(), library.toString()));
        SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
        liveHandles = Linker.nativeLinker().downcallHandle(lib.find("fake_live_handles").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        streamOf = Linker.nativeLinker().downcallHandle(lib.find("fake_stream").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    @Test
    void opensTheFirstSonameThatLoadsAndReadsItsVersion() {
        assertEquals(library.toString(), cublas.soname(), "the missing .so.99 is passed over");
        assertEquals("13.1.7", cublas.version());
    }

    @Test
    void noLibraryNamesEverySonameTried() {
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class,
                () -> NativeCublas.open(List.of("libcublas-fathom-missing.so.1", "libcublas-fathom-missing.so.2")));
        assertTrue(e.getMessage().contains("libcublas-fathom-missing.so.1") && e.getMessage().contains("libcublas-fathom-missing.so.2"),
                e.getMessage());
    }

    @Test
    void createSetsTheStreamAndAFailedSetStreamLeavesNoHandle() throws Throwable {
        int before = (int) liveHandles.invokeExact();
        long[] h = new long[1];
        assertEquals(0, cublas.create(h, 0x5000));
        assertEquals(0x5000, ((MemorySegment) streamOf.invokeExact(MemorySegment.ofAddress(h[0]))).address());
        assertEquals(before + 1, (int) liveHandles.invokeExact());
        assertEquals(0, cublas.destroy(h[0]));
        assertEquals(7, cublas.create(new long[1], 0xBAD), "cublasSetStream's status comes back");
        assertEquals(before, (int) liveHandles.invokeExact(), "the handle of a failed create is destroyed");
    }

    @ParameterizedTest
    @CsvSource({"false,false,false", "true,false,false", "false,true,false", "true,true,true", "false,false,true"})
    void gemmPassesEveryArgumentWhereCublasReadsIt(boolean transA, boolean transB, boolean f64) {
        int m = 3, n = 4, k = 5, batch = 2;
        int lda = (transA ? k : m) + 1, ldb = (transB ? n : k) + 2, ldc = m + 3;
        long strideA = (long) lda * (transA ? m : k) + 5, strideB = (long) ldb * (transB ? k : n) + 7;
        long strideC = (long) ldc * n + 1;
        SplittableRandom rng = new SplittableRandom(transA ? 1 : 2);
        double[] a = new double[(int) (strideA * batch)], b = new double[(int) (strideB * batch)];
        for (int i = 0; i < a.length; i++) {
            a[i] = rng.nextInt(-8, 9) / 4.0;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = rng.nextInt(-8, 9) / 4.0;
        }
        ValueLayout layout = f64 ? ValueLayout.JAVA_DOUBLE : ValueLayout.JAVA_FLOAT;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = put(arena, layout, a), sb = put(arena, layout, b);
            MemorySegment sc = put(arena, layout, new double[(int) (strideC * batch)]);
            long[] h = new long[1];
            assertEquals(0, cublas.create(h, 0));
            try {
                assertEquals(0, cublas.gemmStridedBatched(h[0], f64, transA, transB, m, n, k, sa.address(), lda, strideA,
                        sb.address(), ldb, strideB, sc.address(), ldc, strideC, batch));
            } finally {
                cublas.destroy(h[0]);
            }
            for (int p = 0; p < batch; p++) {
                for (int j = 0; j < n; j++) {
                    for (int i = 0; i < m; i++) {
                        double want = 0;
                        for (int l = 0; l < k; l++) {
                            double av = transA ? a[(int) (p * strideA + i * lda + l)] : a[(int) (p * strideA + l * lda + i)];
                            double bv = transB ? b[(int) (p * strideB + l * ldb + j)] : b[(int) (p * strideB + j * ldb + l)];
                            want += av * bv;
                        }
                        long at = p * strideC + (long) j * ldc + i;
                        double got = f64 ? sc.getAtIndex(ValueLayout.JAVA_DOUBLE, at) : sc.getAtIndex(ValueLayout.JAVA_FLOAT, at);
                        assertEquals(want, got, 0.0, "C[" + p + "](" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    private static MemorySegment put(Arena arena, ValueLayout layout, double[] values) {
        MemorySegment s = arena.allocate(layout, values.length);
        for (int i = 0; i < values.length; i++) {
            if (layout == ValueLayout.JAVA_DOUBLE) {
                s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, values[i]);
            } else {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) values[i]);
            }
        }
        return s;
    }
}
