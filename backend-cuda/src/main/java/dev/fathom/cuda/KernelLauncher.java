package dev.fathom.cuda;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Launches the kernels of one loaded module on a device's compute stream: looks each kernel up
 * once by name, checks the launch geometry against the hardware limits before the driver sees it,
 * and enqueues without waiting.
 *
 * <p>Debug mode: with {@code -Dfathom.cuda.sync=true} (read once, when this class loads) every
 * launch is followed by a stream synchronize, so a kernel that faults is reported with its own op,
 * kernel name, shapes and geometry instead of at some later copy. It costs the overlap of host
 * and GPU, so it is off by default.
 *
 * <p>Programmatic dependent launch: every own kernel waits for the kernel before it itself
 * ({@code fm_grid_dependency} in {@code fathom_kernels.cuh}, first thing; scripts/check-kernels
 * checks it). Where the module's code was compiled for sm_90 or later ({@link #programmatic}),
 * launches go to the driver with {@code CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION}, so
 * that a launch and its block dispatch overlap the end of the kernel before it; on by default
 * ({@link CudaProperties#PDL_DEFAULT}), {@code -Dfathom.cuda.pdl=false} turns it off
 * (scripts/gpu-check times the full sum and the training steps both ways).
 */
final class KernelLauncher {
    /** {@code -Dfathom.cuda.sync}, read once (a value other than true or false: CUDA's plan refused it, see {@link CudaProperties}). */
    static final boolean SYNC_PROPERTY = CudaProperties.flag(CudaProperties.SYNC, false);
    /** {@code -Dfathom.cuda.pdl}, read once (as {@link #SYNC_PROPERTY}). */
    static final boolean PDL_PROPERTY = CudaProperties.flag(CudaProperties.PDL, CudaProperties.PDL_DEFAULT);

    /** Hardware limits common to every GPU from compute capability 3.0 on. */
    static final int MAX_THREADS_PER_BLOCK = 1024;
    static final int MAX_BLOCK_Z = 64;
    static final int MAX_GRID_YZ = 65535;
    /** Static shared memory any kernel may use without opting in to more (48 KiB). */
    static final int MAX_DEFAULT_SHARED_BYTES = 48 * 1024;

    /** A CUDA {@code dim3}. */
    record Dim3(int x, int y, int z) {
        static Dim3 of(int x) {
            return new Dim3(x, 1, 1);
        }

        static Dim3 of(int x, int y) {
            return new Dim3(x, y, 1);
        }

        long volume() {
            return (long) x * y * z;
        }

        @Override
        public String toString() {
            return "(" + x + ", " + y + ", " + z + ")";
        }
    }

    private final CudaDriver driver;
    private final CudaCheck check;
    private final ComputeStream stream;
    private final long module;
    private final boolean sync;
    private final boolean programmatic;
    /** Guarded by the stream's lock, as {@link #launches} (see {@link #launch}). */
    private final Map<String, Long> functions = new HashMap<>();
    private long launches;

    KernelLauncher(CudaDriver driver, CudaCheck check, ComputeStream stream, long module) {
        this(driver, check, stream, module, SYNC_PROPERTY);
    }

    KernelLauncher(CudaDriver driver, CudaCheck check, ComputeStream stream, long module, boolean sync) {
        this(driver, check, stream, module, sync, false);
    }

    /**
     * @param programmatic whether launches are programmatic: the module's code was compiled for
     *        sm_90 or later (so its kernels' {@code fm_grid_dependency} waits) and
     *        {@code -Dfathom.cuda.pdl} asks for it
     */
    KernelLauncher(CudaDriver driver, CudaCheck check, ComputeStream stream, long module, boolean sync, boolean programmatic) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.check = Objects.requireNonNull(check, "check");
        this.stream = Objects.requireNonNull(stream, "stream");
        this.module = module;
        this.sync = sync;
        this.programmatic = programmatic;
    }

    /**
     * Loads a PTX text (or cubin) as a module. A driver that cannot JIT the PTX's ISA gets a
     * message naming the driver it needs ({@link AvailabilityReasons#ptxTooNew}).
     */
    static long loadModule(CudaDriver driver, CudaCheck check, String name, byte[] image) {
        return loadModule(driver, check, name, image, null);
    }

    /**
     * As {@link #loadModule(CudaDriver, CudaCheck, String, byte[])}; on out of memory runs
     * {@code freeMemory} (the allocator's cache, given back), when not null, and tries once more.
     */
    static long loadModule(CudaDriver driver, CudaCheck check, String name, byte[] image, Runnable freeMemory) {
        byte[] terminated = image;
        if (image.length == 0 || image[image.length - 1] != 0) {
            // cuModuleLoadData reads PTX as a C string.
            terminated = java.util.Arrays.copyOf(image, image.length + 1);
        }
        long[] out = new long[1];
        int status = driver.moduleLoadData(out, terminated);
        if (status == CudaCheck.OUT_OF_MEMORY && freeMemory != null) {
            freeMemory.run();
            status = driver.moduleLoadData(out, terminated);
        }
        if (status == 222 || status == 218) {
            AvailabilityReasons.PtxIsa isa = AvailabilityReasons.PtxIsa.parse(new String(image, java.nio.charset.StandardCharsets.US_ASCII));
            throw new CudaException(check.message("loadModule(" + name + "): cuModuleLoadData", "", status) + "; "
                    + AvailabilityReasons.ptxTooNew(isa, 0), "loadModule", status);
        }
        check.check("loadModule(" + name + "): cuModuleLoadData", image.length + " bytes", status);
        return out[0];
    }

    /** Whether every launch is followed by a synchronize. */
    boolean syncEveryLaunch() {
        return sync;
    }

    /** Whether launches are programmatic here. */
    boolean programmatic() {
        return programmatic;
    }

    /** Launches enqueued so far. */
    long launchCount() {
        synchronized (stream) {
            return launches;
        }
    }

    /**
     * Enqueues {@code kernel} on the compute stream.
     *
     * @param op     the tensor op this launch serves, e.g. {@code "add"}, named in any error
     * @param shapes the op's shapes, e.g. {@code "[4, 5] + [5]"}, named in any error
     */
    void launch(String op, Object shapes, String kernel, Dim3 grid, Dim3 block, int sharedBytes,
            KernelParams params) {
        Objects.requireNonNull(params, "params");
        validate(op, kernel, grid, block, sharedBytes);
        // The stream's lock, not this launcher's: a wait may launch (DeviceChecks zeroes its slots
        // after a fault) and a checked launch holds it around its kernel's enqueue, so every path
        // takes the stream's lock first and no two paths take two locks in opposite orders.
        synchronized (stream) {
            long function = function(op, kernel);
            int status = programmatic
                    ? driver.launchKernelProgrammatic(function, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(),
                            sharedBytes, stream.handle(), params)
                    : driver.launchKernel(function, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(), sharedBytes,
                            stream.handle(), params);
            // The messages are built only when needed: this runs for every kernel of every op.
            if (status != 0) {
                check.check(op + ": " + (programmatic ? "cuLaunchKernelEx(" : "cuLaunchKernel(") + kernel + ")",
                        where(shapes, grid, block, sharedBytes), status);
            }
            launches++;
            stream.noteLaunch(op, kernel, shapes);
            if (sync) {
                stream.synchronize(op + ": cuLaunchKernel(" + kernel + ") [fathom.cuda.sync]", where(shapes, grid, block, sharedBytes));
            }
        }
    }

    private static String where(Object shapes, Dim3 grid, Dim3 block, int sharedBytes) {
        return shapes + " grid " + grid + " block " + block + (sharedBytes > 0 ? " shared " + sharedBytes + " B" : "");
    }

    private long function(String op, String kernel) {
        Long f = functions.get(kernel);
        if (f == null) {
            long[] out = new long[1];
            check.check(op + ": cuModuleGetFunction(" + kernel + ")", "", driver.moduleGetFunction(out, module, kernel));
            f = out[0];
            functions.put(kernel, f);
        }
        return f;
    }

    static void validate(String op, String kernel, Dim3 grid, Dim3 block, int sharedBytes) {
        if (grid.x() >= 1 && grid.y() >= 1 && grid.z() >= 1 && grid.y() <= MAX_GRID_YZ && grid.z() <= MAX_GRID_YZ && block.x() >= 1
                && block.y() >= 1 && block.z() >= 1 && block.z() <= MAX_BLOCK_Z && block.volume() <= MAX_THREADS_PER_BLOCK
                && sharedBytes >= 0 && sharedBytes <= MAX_DEFAULT_SHARED_BYTES) {
            return;  // the common case, without building the message
        }
        String what = "cuda: " + op + ": kernel " + kernel + " with grid " + grid + ", block " + block;
        if (grid.x() < 1 || grid.y() < 1 || grid.z() < 1 || grid.y() > MAX_GRID_YZ || grid.z() > MAX_GRID_YZ) {
            throw new IllegalArgumentException(what + ": grid dimensions must be >= 1, and y and z <= " + MAX_GRID_YZ
                    + "; fold the extra work into x (grid-stride loop)");
        }
        if (block.x() < 1 || block.y() < 1 || block.z() < 1 || block.z() > MAX_BLOCK_Z || block.volume() > MAX_THREADS_PER_BLOCK) {
            throw new IllegalArgumentException(what + ": a block has at most " + MAX_THREADS_PER_BLOCK
                    + " threads (z <= " + MAX_BLOCK_Z + "), each dimension >= 1; got " + block.volume() + " threads");
        }
        if (sharedBytes < 0 || sharedBytes > MAX_DEFAULT_SHARED_BYTES) {
            throw new IllegalArgumentException(what + ": dynamic shared memory must be 0.." + MAX_DEFAULT_SHARED_BYTES
                    + " bytes without an opt-in; got " + sharedBytes);
        }
    }
}
