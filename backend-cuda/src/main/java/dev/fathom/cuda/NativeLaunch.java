package dev.fathom.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code cuLaunchKernel} called through {@code java.lang.foreign}, with the parameters written into
 * one native block per thread that every launch reuses.
 *
 * <p>Why: JCuda passes the kernel's parameters as a {@code Pointer} to {@code Pointer}s over Java
 * arrays, which its JNI code pins, copies and releases one by one on every launch. In a host
 * profile of 300 CNN training steps on an H200 that marshalling took twice the driver's own time in
 * {@code cuLaunchKernel} (about 230 against 113 of the 433 samples in the launch). Here a launch
 * writes its values and the table of pointers to them into the thread's block and makes one
 * downcall.
 *
 * <p>The default launch path ({@code -Dfathom.cuda.launch=jcuda} goes back to JCuda's, see
 * {@link JCudaDriverApi}). On an H100 (gpu-check, 2026-11-27) the conformance suite passed with it,
 * and a training step of the MLP took 437 µs against 946 µs through JCuda, the CNN's 1244 against
 * 1658 µs. {@code NativeLaunchTest} checks the marshalling against a stand-in {@code libcuda} built by
 * g++. The function and stream are the driver's own handles, read from JCuda's objects.
 */
final class NativeLaunch {
    /** The driver library, as JCuda loads it. */
    static final String SONAME = "libcuda.so.1";
    /** The system property that picks the launch path: {@code foreign} (this class, the default) or {@code jcuda}. */
    static final String PROPERTY = "fathom.cuda.launch";

    private static final int INITIAL_BLOCK_BYTES = 4096;

    private final String library;
    private final MethodHandle launch;
    private final ThreadLocal<MemorySegment> blocks = new ThreadLocal<>();

    private NativeLaunch(String library, SymbolLookup lookup) {
        this.library = library;
        MemorySegment symbol = lookup.find("cuLaunchKernel").orElseThrow(() -> new UnsatisfiedLinkError(
                library + " has no cuLaunchKernel"));
        // CUresult cuLaunchKernel(CUfunction f, unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY,
        //     blockDimZ, unsigned sharedMemBytes, CUstream hStream, void** kernelParams, void** extra)
        launch = Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    /**
     * Whether {@link #PROPERTY} picks this launcher: unset or {@code foreign} does, {@code jcuda}
     * keeps JCuda's.
     *
     * @throws IllegalArgumentException for any other value, naming both (the driver probe turns it
     *         into CUDA's unavailability reason)
     */
    static boolean requested() {
        String value = System.getProperty(PROPERTY, "foreign");
        return switch (value) {
            case "foreign" -> true;
            case "jcuda" -> false;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a launch path: use foreign"
                    + " (the default: cuLaunchKernel through java.lang.foreign) or jcuda (JCuda's cuLaunchKernel)");
        };
    }

    /**
     * Binds {@code cuLaunchKernel} in {@code library} (a soname for the dynamic loader, or a path),
     * which stays loaded for the JVM's life.
     *
     * @throws UnsatisfiedLinkError naming the library and why it did not bind
     */
    static NativeLaunch open(String library) {
        try {
            return new NativeLaunch(library, SymbolLookup.libraryLookup(library, Arena.global()));
        } catch (IllegalArgumentException e) {
            throw new UnsatisfiedLinkError(library + ": " + e.getMessage());
        }
    }

    String library() {
        return library;
    }

    /**
     * Launches {@code function} (the driver's {@code CUfunction}) on {@code stream} (a
     * {@code CUstream}, 0 for the default stream) with {@code params}; returns the driver's status.
     */
    int launch(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes, long stream,
            KernelParams params) {
        List<KernelParams.Arg> args = params.args();
        long tableBytes = 8L * args.size();
        long bytes = tableBytes;
        for (KernelParams.Arg a : args) {
            bytes += aligned(size(a));
        }
        MemorySegment block = block(bytes);
        long at = tableBytes;
        for (int i = 0; i < args.size(); i++) {
            KernelParams.Arg a = args.get(i);
            switch (a) {
                // A pointer parameter is its 64-bit address passed by value, like any other scalar.
                case KernelParams.Ptr p -> block.set(ValueLayout.JAVA_LONG, at, p.address());
                case KernelParams.I32 v -> block.set(ValueLayout.JAVA_INT, at, v.value());
                case KernelParams.I64 v -> block.set(ValueLayout.JAVA_LONG, at, v.value());
                case KernelParams.F32 v -> block.set(ValueLayout.JAVA_FLOAT, at, v.value());
                case KernelParams.F64 v -> block.set(ValueLayout.JAVA_DOUBLE, at, v.value());
                case KernelParams.Struct v -> MemorySegment.copy(v.bytes(), 0, block, ValueLayout.JAVA_BYTE, at, v.bytes().length);
            }
            block.setAtIndex(ValueLayout.ADDRESS, i, block.asSlice(at));
            at += aligned(size(a));
        }
        try {
            return (int) launch.invokeExact(MemorySegment.ofAddress(function), gridX, gridY, gridZ, blockX, blockY, blockZ,
                    sharedBytes, MemorySegment.ofAddress(stream), block, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("cuda: cuLaunchKernel through java.lang.foreign failed: " + t, t);
        }
    }

    /** The calling thread's block of at least {@code bytes}, grown (to a power of two) when a launch needs more. */
    private MemorySegment block(long bytes) {
        MemorySegment b = blocks.get();
        if (b == null || b.byteSize() < bytes) {
            long size = Math.max(INITIAL_BLOCK_BYTES, Long.highestOneBit(Math.max(1, bytes - 1)) << 1);
            // Auto: the block goes when its thread does (and no launch still reads it: the driver
            // copies the parameters before cuLaunchKernel returns).
            b = Arena.ofAuto().allocate(size, 8);
            blocks.set(b);
        }
        return b;
    }

    private static long size(KernelParams.Arg a) {
        return switch (a) {
            case KernelParams.Ptr p -> 8;
            case KernelParams.I32 v -> 4;
            case KernelParams.I64 v -> 8;
            case KernelParams.F32 v -> 4;
            case KernelParams.F64 v -> 8;
            case KernelParams.Struct v -> v.bytes().length;
        };
    }

    private static long aligned(long bytes) {
        return (bytes + 7) & ~7L;
    }
}
