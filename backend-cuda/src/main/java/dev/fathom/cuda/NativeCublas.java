package dev.fathom.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * cuBLAS called through {@code java.lang.foreign}, for machines where JCublas cannot bind it.
 *
 * <p>JCublas 12.6's native library links against {@code libcublas.so.12}. A machine with only CUDA 13
 * libraries has {@code libcublas.so.13}; PyTorch's CUDA 13 wheels bring that one, and so do the
 * lent GPU machines. The six entry points Fathom uses have the same C signatures in cuBLAS 12 and
 * 13: {@code cublasCreate_v2}, {@code cublasSetStream_v2}, {@code cublasDestroy_v2},
 * {@code cublasGetProperty} and {@code cublas{S,D}gemmStridedBatched}. So this class opens the
 * first soname of {@link #SONAMES} that the dynamic loader finds (on {@code LD_LIBRARY_PATH}, as
 * JCuda's libraries are found) and calls them directly.
 *
 * <p>The handle is cuBLAS's own pointer, so {@link CudaDriver#blasCreate} hands out its address.
 * cuBLAS works in the calling thread's current context, which is the device's primary context
 * ({@link CudaDriver#ctxRetainPrimary}). Scalars go by host pointer, cuBLAS's default pointer mode,
 * from constants that live as long as the JVM.
 */
final class NativeCublas {
    /** The sonames tried, in order: CUDA 13's, then CUDA 12's (for a JCublas whose own library is missing). */
    static final List<String> SONAMES = List.of("libcublas.so.13", "libcublas.so.12");

    /** {@code libraryPropertyType}: MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL. */
    private static final int PROPERTIES = 3;

    private final String soname;
    private final MethodHandle create;
    private final MethodHandle setStream;
    private final MethodHandle destroy;
    private final MethodHandle getProperty;
    private final MethodHandle sgemm;
    private final MethodHandle dgemm;
    private final MemorySegment oneF32;
    private final MemorySegment zeroF32;
    private final MemorySegment oneF64;
    private final MemorySegment zeroF64;

    private NativeCublas(String soname, SymbolLookup lib) {
        this.soname = soname;
        Linker linker = Linker.nativeLinker();
        create = handle(linker, lib, "cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setStream = handle(linker, lib, "cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroy = handle(linker, lib, "cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getProperty = handle(linker, lib, "cublasGetProperty", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        // (handle, transa, transb, m, n, k, alpha*, A*, lda, strideA, B*, ldb, strideB, beta*, C*, ldc, strideC, batchCount)
        FunctionDescriptor gemm = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT);
        sgemm = handle(linker, lib, "cublasSgemmStridedBatched", gemm);
        dgemm = handle(linker, lib, "cublasDgemmStridedBatched", gemm);
        Arena constants = Arena.global();
        oneF32 = constants.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        zeroF32 = constants.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
        oneF64 = constants.allocateFrom(ValueLayout.JAVA_DOUBLE, 1d);
        zeroF64 = constants.allocateFrom(ValueLayout.JAVA_DOUBLE, 0d);
    }

    /** The process's binding, opened on first use; holds the first failure's reasons if none opened. */
    static NativeCublas get() {
        return Loaded.INSTANCE;
    }

    private static final class Loaded {
        static final NativeCublas INSTANCE = open(SONAMES);
    }

    /**
     * Opens the first of {@code sonames} (names for the dynamic loader, or paths) that loads and
     * exports every entry point.
     *
     * @throws UnsatisfiedLinkError naming each soname tried and why it failed
     */
    static NativeCublas open(List<String> sonames) {
        List<String> reasons = new ArrayList<>();
        for (String soname : sonames) {
            try {
                // Global: cuBLAS stays loaded for the JVM's life, as a library JCuda loads does.
                return new NativeCublas(soname, SymbolLookup.libraryLookup(soname, Arena.global()));
            } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
                reasons.add(soname + ": " + e.getMessage());
            }
        }
        throw new UnsatisfiedLinkError(String.join("; ", reasons));
    }

    private static MethodHandle handle(Linker linker, SymbolLookup lib, String name, FunctionDescriptor d) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError("no symbol " + name));
        return linker.downcallHandle(symbol, d);
    }

    /** The soname that opened. */
    String soname() {
        return soname;
    }

    /** {@code major.minor.patch} from {@code cublasGetProperty}. */
    String version() {
        int[] parts = new int[PROPERTIES];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            for (int property = 0; property < PROPERTIES; property++) {
                int status = (int) getProperty.invokeExact(property, v);
                if (status != 0) {
                    throw new IllegalStateException("cublasGetProperty failed with cublasStatus " + status);
                }
                parts[property] = v.get(JAVA_INT, 0);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return parts[0] + "." + parts[1] + "." + parts[2];
    }

    /** {@code cublasCreate_v2} then {@code cublasSetStream_v2(streamAddress)} (0: the legacy default stream). */
    int create(long[] handle, long streamAddress) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int status = (int) create.invokeExact(out);
            if (status != 0) {
                return status;
            }
            MemorySegment h = out.get(ADDRESS, 0);
            status = (int) setStream.invokeExact(h, MemorySegment.ofAddress(streamAddress));
            if (status != 0) {
                int ignored = (int) destroy.invokeExact(h);
                return status;
            }
            handle[0] = h.address();
            return 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cublasDestroy_v2}. */
    int destroy(long handle) {
        try {
            return (int) destroy.invokeExact(MemorySegment.ofAddress(handle));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** As {@link CudaDriver#blasGemmStridedBatched}: alpha 1, beta 0, column-major. */
    int gemmStridedBatched(long handle, boolean f64, boolean transA, boolean transB, int m, int n, int k, long a, int lda,
            long strideA, long b, int ldb, long strideB, long c, int ldc, long strideC, int batch) {
        int opA = transA ? 1 : 0;  // CUBLAS_OP_T : CUBLAS_OP_N
        int opB = transB ? 1 : 0;
        MemorySegment h = MemorySegment.ofAddress(handle);
        // Locals, not conditionals in the call: invokeExact types a conditional argument as Object.
        MemorySegment one = f64 ? oneF64 : oneF32, zero = f64 ? zeroF64 : zeroF32;
        MethodHandle gemm = f64 ? dgemm : sgemm;
        try {
            return (int) gemm.invokeExact(h, opA, opB, m, n, k, one, MemorySegment.ofAddress(a), lda, strideA,
                    MemorySegment.ofAddress(b), ldb, strideB, zero, MemorySegment.ofAddress(c), ldc, strideC, batch);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("cuBLAS call failed: " + t, t);
    }
}
