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
    /**
     * cuda.h's {@code CUlaunchConfig} (56 bytes): grid x, y, z, block x, y, z and dynamic shared
     * memory as unsigned ints from 0, then {@code CUstream hStream} at 32, {@code CUlaunchAttribute* attrs}
     * at 40 and {@code unsigned numAttrs} at 48.
     */
    static final long CONFIG_BYTES = 56, CONFIG_STREAM = 32, CONFIG_ATTRS = 40, CONFIG_NUM_ATTRS = 48;
    /** cuda.h's {@code CUlaunchAttribute} (72 bytes): the id at 0, its value (a 64-byte union) at 8. */
    static final long ATTRIBUTE_BYTES = 72, ATTRIBUTE_VALUE = 8;
    /** {@code CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION}. */
    static final int PROGRAMMATIC_STREAM_SERIALIZATION = 6;

    private final String library;
    private final MethodHandle launch;
    /** {@code cuLaunchKernelEx} (CUDA 12.0 on), or null where the driver has none. */
    private final MethodHandle launchEx;
    private final ThreadLocal<MemorySegment> blocks = new ThreadLocal<>();

    private NativeLaunch(String library, SymbolLookup lookup) {
        this.library = library;
        MemorySegment symbol = lookup.find("cuLaunchKernel").orElseThrow(() -> new UnsatisfiedLinkError(
                library + " has no cuLaunchKernel"));
        // CUresult cuLaunchKernel(CUfunction f, unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY,
        //     blockDimZ, unsigned sharedMemBytes, CUstream hStream, void** kernelParams, void** extra)
        launch = Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        // CUresult cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f, void** kernelParams, void** extra)
        launchEx = lookup.find("cuLaunchKernelEx").map(ex -> Linker.nativeLinker().downcallHandle(ex,
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS))).orElse(null);
    }

    /**
     * Whether {@link #PROPERTY} picks this launcher: unset or {@code foreign} does, {@code jcuda}
     * keeps JCuda's.
     *
     * @throws IllegalArgumentException for any other value, naming both (the driver probe turns it
     *         into CUDA's unavailability reason)
     */
    static boolean requested() {
        return requested(System.getProperty(PROPERTY, "foreign"));
    }

    /** Whether {@code value} of {@link #PROPERTY} picks this launcher; throws as {@link #requested()}. */
    static boolean requested(String value) {
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
        MemorySegment block = block(paramBytes(params));
        writeParams(block, params);
        try {
            return (int) launch.invokeExact(MemorySegment.ofAddress(function), gridX, gridY, gridZ, blockX, blockY, blockZ,
                    sharedBytes, MemorySegment.ofAddress(stream), block, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("cuda: cuLaunchKernel through java.lang.foreign failed: " + t, t);
        }
    }

    /** Whether the driver has {@code cuLaunchKernelEx}, which {@link #launchProgrammatic} needs. */
    boolean hasLaunchEx() {
        return launchEx != null;
    }

    /**
     * As {@link #launch}, through {@code cuLaunchKernelEx} with the attribute
     * {@code CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION} set: the launch may begin before
     * the kernel before it on the stream has finished, so the kernel itself must wait for it
     * ({@code griddepcontrol.wait}: {@code fm_grid_dependency} in {@code fathom_kernels.cuh}) before it
     * touches memory.
     *
     * @throws IllegalStateException where the driver has no {@code cuLaunchKernelEx} ({@link #hasLaunchEx})
     */
    int launchProgrammatic(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes,
            long stream, KernelParams params) {
        if (launchEx == null) {
            throw new IllegalStateException("cuda: " + library + " has no cuLaunchKernelEx (CUDA 12.0 or newer has it)");
        }
        long paramBytes = paramBytes(params);
        MemorySegment block = block(paramBytes + CONFIG_BYTES + ATTRIBUTE_BYTES);
        writeParams(block, params);
        MemorySegment config = block.asSlice(paramBytes, CONFIG_BYTES);
        MemorySegment attribute = block.asSlice(paramBytes + CONFIG_BYTES, ATTRIBUTE_BYTES);
        attribute.fill((byte) 0);
        attribute.set(JAVA_INT, 0, PROGRAMMATIC_STREAM_SERIALIZATION);
        attribute.set(JAVA_INT, ATTRIBUTE_VALUE, 1);  // programmaticStreamSerializationAllowed
        config.set(JAVA_INT, 0, gridX);
        config.set(JAVA_INT, 4, gridY);
        config.set(JAVA_INT, 8, gridZ);
        config.set(JAVA_INT, 12, blockX);
        config.set(JAVA_INT, 16, blockY);
        config.set(JAVA_INT, 20, blockZ);
        config.set(JAVA_INT, 24, sharedBytes);
        config.set(JAVA_INT, 28, 0);  // padding before the stream
        config.set(ValueLayout.JAVA_LONG, CONFIG_STREAM, stream);
        config.set(ADDRESS, CONFIG_ATTRS, attribute);
        config.set(ValueLayout.JAVA_LONG, CONFIG_NUM_ATTRS, 1);  // numAttrs and the struct's tail padding
        try {
            return (int) launchEx.invokeExact(config, MemorySegment.ofAddress(function), block, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("cuda: cuLaunchKernelEx through java.lang.foreign failed: " + t, t);
        }
    }

    /** Bytes of the pointer table and the values {@link #writeParams} puts in a block. */
    private static long paramBytes(KernelParams params) {
        long bytes = 8L * params.args().size();
        for (KernelParams.Arg a : params.args()) {
            bytes += aligned(size(a));
        }
        return bytes;
    }

    /** The table of pointers to the values at the start of {@code block}, the values after it. */
    private static void writeParams(MemorySegment block, KernelParams params) {
        List<KernelParams.Arg> args = params.args();
        long at = 8L * args.size();
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
