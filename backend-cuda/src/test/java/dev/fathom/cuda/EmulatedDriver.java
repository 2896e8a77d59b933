package dev.fathom.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A CUDA driver that runs the real kernels on the CPU, so that the host code above the driver
 * ({@link CudaDevice}, {@link CachingAllocator}, {@link KernelLauncher} and the kernels' Java side)
 * runs unchanged without a GPU: layer 2 (kernel emulation) and layer 3 (host logic) of DESIGN.md
 * joined.
 *
 * <ul>
 *   <li>Device memory is native memory ({@code aligned_alloc} through java.lang.foreign) and a
 *       device pointer is its real address, so kernels dereference it directly. Each block has
 *       256-byte guard zones on both sides, checked after every launch that points into it: a
 *       kernel that writes just past its buffers faults with {@code CUDA_ERROR_ILLEGAL_ADDRESS} (700), sticky, as on a GPU.
 *       Fresh blocks are filled with 0xFF bytes (NaN, -1, a BOOL that is neither 0 nor 1), so code
 *       that reads memory it never wrote shows up.</li>
 *   <li>Streams and events are synchronous: every call has finished when it returns, so queries
 *       report done.</li>
 *   <li>{@code cuModuleLoadData} reads the PTX's {@code .entry} kernels and their parameter
 *       declarations ({@link PtxModule}) and binds the module to the emulated library built from
 *       the same source ({@link Emulator#driverModules()}); {@code cuModuleGetFunction} finds
 *       {@code emu_<name>} in it (500, {@code CUDA_ERROR_NOT_FOUND}, when absent).</li>
 *   <li>{@code cuLaunchKernel} checks each argument's kind and width against the PTX's parameter
 *       list (a mismatch, which a GPU would not notice, is an IllegalArgumentException naming the
 *       kernel and parameter), packs them into native memory plus a {@code void**} array and calls
 *       the trampoline, which runs the kernel through {@code cuda_emu.h}.</li>
 * </ul>
 *
 * <p>Thread-safe by one lock: launches never overlap (the shim's {@code __shared__} storage is
 * static). A kernel that writes far outside its memory can still crash the JVM, and one that
 * deadlocks (a barrier not reached by every thread) hangs it; neither happens to a correct kernel.
 */
final class EmulatedDriver implements CudaDriver {
    static final int INVALID_VALUE = 1;
    static final int INVALID_IMAGE = 200;
    static final int INVALID_HANDLE = 400;
    static final int NOT_FOUND = 500;
    static final int ILLEGAL_ADDRESS = 700;

    /** Guard bytes on each side of a device block; also its alignment (cudaMalloc aligns to 256). */
    static final int GUARD = 256;
    private static final byte GUARD_BYTE = (byte) 0xA5;
    private static final byte POISON_BYTE = (byte) 0xFF;
    /** The longest guard zone (the tail is GUARD plus the rounding up to GUARD), filled with GUARD_BYTE. */
    private static final MemorySegment GUARD_PATTERN = Arena.global().allocate(2 * GUARD).fill(GUARD_BYTE);

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle ALIGNED_ALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().find("aligned_alloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("free").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    private static final FunctionDescriptor TRAMPOLINE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS);
    /** Libraries are loaded once per JVM (the global arena never unloads them). */
    private static final Map<Path, SymbolLookup> LOADED = new ConcurrentHashMap<>();

    private record Block(MemorySegment base, long address, long bytes) {
        MemorySegment data() {
            return base.asSlice(GUARD, bytes);
        }
    }

    private record Module(PtxModule ptx, Emulator.DriverModule library) {
    }

    private record Function(String name, PtxModule.Entry entry, MethodHandle handle) {
    }

    private final List<Emulator.DriverModule> libraries;
    private final long totalBytes;
    private long usedBytes;
    private final TreeMap<Long, Block> blocks = new TreeMap<>();
    private final Map<ByteBuffer, Long> hostBuffers = new IdentityHashMap<>();
    private final Set<Long> streams = new HashSet<>();
    private final Set<Long> events = new HashSet<>();
    private final Map<Long, Long> eventNanos = new HashMap<>();
    private final Map<Long, Module> modules = new HashMap<>();
    private final Map<Long, Function> functions = new HashMap<>();
    private final Map<String, long[]> profile = new LinkedHashMap<>();
    private boolean dryRun;
    private long nextHandle = 1;
    private MemorySegment scratch;
    private int sticky;
    private final Map<Integer, String> details = new HashMap<>();

    /**
     * A driver over the libraries {@link Emulator#driverModules()} built, reporting
     * {@code totalBytes} of device memory (allocations beyond it fail with out-of-memory).
     */
    EmulatedDriver(List<Emulator.DriverModule> libraries, long totalBytes) {
        this.libraries = List.copyOf(libraries);
        if (totalBytes <= 0) {
            throw new IllegalArgumentException("EmulatedDriver: total memory must be > 0 bytes, got " + totalBytes);
        }
        this.totalBytes = totalBytes;
    }

    /**
     * From now on launches check their arguments and do nothing else, and fresh memory is zeroed (a
     * skipped fill must not leave a fault slot or a ticket non-zero): what is left of a training step
     * is the host's own cost, Fathom's and the driver calls', to measure without a GPU
     * ({@code -Dfathom.cuda.emu.dryRun=true}, {@link EmulatedCudaBackend}). The profile still counts
     * the launches (with no time), so a dry run also says how many launches a step makes.
     */
    synchronized EmulatedDriver dryRun() {
        dryRun = true;
        return this;
    }

    // ---- inspection, for tests and measurements

    /** Launches and nanoseconds per kernel since construction, as {@code {count, nanos}}, in first-launch order. */
    synchronized Map<String, long[]> profile() {
        Map<String, long[]> copy = new LinkedHashMap<>();
        profile.forEach((k, v) -> copy.put(k, v.clone()));
        return Collections.unmodifiableMap(copy);
    }

    /** Bytes of device memory allocated and not freed. */
    synchronized long usedBytes() {
        return usedBytes;
    }

    /** The sticky fault of the context (0 while none), as a GPU keeps it until the process ends. */
    synchronized int stickyError() {
        return sticky;
    }

    // ---- probe calls: one device

    @Override
    public void init() {
    }

    @Override
    public int driverVersion() {
        return 13000;
    }

    @Override
    public int deviceCount() {
        return 1;
    }

    @Override
    public String deviceName(int ordinal) {
        return "Fathom emulated GPU (kernels on the CPU)";
    }

    @Override
    public long totalMemory(int ordinal) {
        return totalBytes;
    }

    @Override
    public int[] computeCapability(int ordinal) {
        return new int[] {9, 0};
    }

    // ---- context and memory

    @Override
    public synchronized int ctxRetainPrimary(int ordinal) {
        return ordinal == 0 ? 0 : 101; // CUDA_ERROR_INVALID_DEVICE
    }

    @Override
    public synchronized int ctxSynchronize() {
        return sticky;
    }

    @Override
    public synchronized int memAlloc(long[] ptr, long bytes) {
        if (sticky != 0) {
            return sticky;
        }
        if (bytes <= 0) {
            return INVALID_VALUE;
        }
        if (usedBytes + bytes > totalBytes) {
            return CudaCheck.OUT_OF_MEMORY;
        }
        long size = GUARD + Math.ceilDiv(bytes, GUARD) * GUARD + GUARD;
        MemorySegment base;
        try {
            base = ((MemorySegment) ALIGNED_ALLOC.invokeExact((long) GUARD, size)).reinterpret(size);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc(" + size + ")", t);
        }
        if (base.address() == 0) {
            return CudaCheck.OUT_OF_MEMORY;
        }
        base.fill(GUARD_BYTE);
        base.asSlice(GUARD, bytes).fill(dryRun ? 0 : POISON_BYTE);
        Block b = new Block(base, base.address() + GUARD, bytes);
        blocks.put(b.address(), b);
        usedBytes += bytes;
        ptr[0] = b.address();
        return 0;
    }

    @Override
    public synchronized int memFree(long ptr) {
        Block b = blocks.remove(ptr);
        if (b == null) {
            return INVALID_VALUE;
        }
        usedBytes -= b.bytes();
        try {
            FREE.invokeExact(b.base());
        } catch (Throwable t) {
            throw new IllegalStateException("free", t);
        }
        return 0;
    }

    @Override
    public synchronized int memGetInfo(long[] freeAndTotal) {
        freeAndTotal[0] = totalBytes - usedBytes;
        freeAndTotal[1] = totalBytes;
        return 0;
    }

    @Override
    public synchronized int memAllocHost(ByteBuffer[] out, long bytes) {
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            return INVALID_VALUE;
        }
        out[0] = ByteBuffer.allocateDirect((int) bytes);
        hostBuffers.put(out[0], bytes);
        return 0;
    }

    @Override
    public synchronized int memFreeHost(ByteBuffer buffer) {
        return hostBuffers.remove(buffer) == null ? INVALID_VALUE : 0;
    }

    @Override
    public synchronized int memcpyHtoDAsync(long dst, ByteBuffer src, long bytes, long stream) {
        int status = transferStatus(dst, src, bytes, stream);
        if (status == 0) {
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, device(dst, bytes), 0, bytes);
        }
        return status;
    }

    @Override
    public synchronized int memcpyDtoHAsync(ByteBuffer dst, long src, long bytes, long stream) {
        int status = transferStatus(src, dst, bytes, stream);
        if (status == 0) {
            MemorySegment.copy(device(src, bytes), 0, MemorySegment.ofBuffer(dst), 0, bytes);
        }
        return status;
    }

    private int transferStatus(long device, ByteBuffer host, long bytes, long stream) {
        if (sticky != 0) {
            return sticky;
        }
        if (!validStream(stream)) {
            return INVALID_HANDLE;
        }
        if (!host.isDirect() || host.remaining() < bytes || bytes < 0 || block(device, bytes) == null) {
            return INVALID_VALUE;
        }
        return 0;
    }

    /** The block that holds all of [address, address + bytes), or null. */
    private Block block(long address, long bytes) {
        Map.Entry<Long, Block> e = blocks.floorEntry(address);
        if (e == null) {
            return null;
        }
        Block b = e.getValue();
        return address - b.address() + bytes <= b.bytes() ? b : null;
    }

    private MemorySegment device(long address, long bytes) {
        Block b = block(address, bytes);
        return b.data().asSlice(address - b.address(), bytes);
    }

    // ---- streams and events: synchronous

    private boolean validStream(long stream) {
        return stream == 0 || streams.contains(stream);
    }

    @Override
    public synchronized int streamCreate(long[] stream) {
        stream[0] = nextHandle++;
        streams.add(stream[0]);
        return 0;
    }

    @Override
    public synchronized int streamSynchronize(long stream) {
        return validStream(stream) ? sticky : INVALID_HANDLE;
    }

    @Override
    public synchronized int streamDestroy(long stream) {
        return streams.remove(stream) ? 0 : INVALID_HANDLE;
    }

    @Override
    public synchronized int eventCreate(long[] event) {
        event[0] = nextHandle++;
        events.add(event[0]);
        return 0;
    }

    @Override
    public synchronized int eventRecord(long event, long stream) {
        if (!events.contains(event) || !validStream(stream)) {
            return INVALID_HANDLE;
        }
        eventNanos.put(event, System.nanoTime());  // every launch before it has finished: launches are synchronous here
        return 0;
    }

    @Override
    public synchronized int eventElapsedTime(float[] ms, long start, long end) {
        Long a = eventNanos.get(start), b = eventNanos.get(end);
        if (!events.contains(start) || !events.contains(end)) {
            return INVALID_HANDLE;
        }
        if (a == null || b == null) {
            return 600;  // CUDA_ERROR_NOT_READY: never recorded
        }
        ms[0] = (b - a) / 1e6f;
        return sticky;
    }

    @Override
    public synchronized int eventQuery(long event) {
        return events.contains(event) ? sticky : INVALID_HANDLE;
    }

    @Override
    public synchronized int eventSynchronize(long event) {
        return events.contains(event) ? sticky : INVALID_HANDLE;
    }

    @Override
    public synchronized int eventDestroy(long event) {
        eventNanos.remove(event);
        return events.remove(event) ? 0 : INVALID_HANDLE;
    }

    // ---- modules and launches

    @Override
    public synchronized int moduleLoadData(long[] module, byte[] image) {
        PtxModule ptx;
        try {
            ptx = PtxModule.parse(image);
        } catch (IllegalArgumentException e) {
            details.put(INVALID_IMAGE, e.getMessage());
            return INVALID_IMAGE;
        }
        Emulator.DriverModule match = null;
        for (Emulator.DriverModule lib : libraries) {
            if (lib.ptx().entries().keySet().containsAll(ptx.entries().keySet())
                    && (match == null || lib.ptx().entries().size() < match.ptx().entries().size())) {
                match = lib;
            }
        }
        if (ptx.entries().isEmpty() || match == null) {
            details.put(INVALID_IMAGE, "no emulated module has the kernels " + ptx.names() + " (modules: "
                    + libraries.stream().map(Emulator.DriverModule::name).toList() + ")");
            return INVALID_IMAGE;
        }
        if (match.buildError() != null) {
            details.put(INVALID_IMAGE, "module " + match.name() + " did not compile for the emulator: " + match.buildError());
            return INVALID_IMAGE;
        }
        module[0] = nextHandle++;
        modules.put(module[0], new Module(ptx, match));
        return 0;
    }

    @Override
    public synchronized int moduleGetFunction(long[] function, long module, String name) {
        Module m = modules.get(module);
        if (m == null) {
            return INVALID_HANDLE;
        }
        PtxModule.Entry entry = m.ptx().entries().get(name);
        if (entry == null) {
            return NOT_FOUND;
        }
        SymbolLookup lookup = LOADED.computeIfAbsent(m.library().library(), p -> SymbolLookup.libraryLookup(p, Arena.global()));
        var symbol = lookup.find("emu_" + name);
        if (symbol.isEmpty()) {
            return NOT_FOUND;
        }
        function[0] = nextHandle++;
        functions.put(function[0], new Function(name, entry, LINKER.downcallHandle(symbol.get(), TRAMPOLINE)));
        return 0;
    }

    @Override
    public synchronized int launchKernel(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
            int sharedBytes, long stream, KernelParams params) {
        if (sticky != 0) {
            return sticky;
        }
        Function f = functions.get(function);
        if (f == null || !validStream(stream)) {
            return INVALID_HANDLE;
        }
        if (gridX < 1 || gridY < 1 || gridZ < 1 || blockX < 1 || blockY < 1 || blockZ < 1
                || (long) blockX * blockY * blockZ > KernelLauncher.MAX_THREADS_PER_BLOCK || sharedBytes < 0) {
            return INVALID_VALUE;
        }
        List<KernelParams.Arg> args = Objects.requireNonNull(params, "params").args();
        checkSignature(f, args);
        if (dryRun) {
            profile.computeIfAbsent(f.name(), k -> new long[2])[0]++;
            return 0;
        }
        long start = System.nanoTime();
        try {
            f.handle().invokeExact(gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, pack(args));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("emulated cuLaunchKernel(" + f.name() + ")", t);
        }
        long[] p = profile.computeIfAbsent(f.name(), k -> new long[2]);
        p[0]++;
        p[1] += System.nanoTime() - start;
        checkGuards(f.name(), args);
        return 0;
    }

    /** What a GPU would silently misread is an error here: each argument must have its parameter's kind and width. */
    private static void checkSignature(Function f, List<KernelParams.Arg> args) {
        List<PtxModule.Param> declared = f.entry().params();
        if (declared.size() != args.size()) {
            throw new IllegalArgumentException("emulated cuLaunchKernel(" + f.name() + "): the kernel declares "
                    + declared.size() + " parameters " + declared + ", the launch passes " + args.size() + " " + args);
        }
        for (int i = 0; i < args.size(); i++) {
            PtxModule.Param p = declared.get(i);
            KernelParams.Arg a = args.get(i);
            boolean ok = switch (a) {
                case KernelParams.Ptr x -> p.kind().equals("i") && p.bytes() == 8;
                case KernelParams.I64 x -> p.kind().equals("i") && p.bytes() == 8;
                case KernelParams.I32 x -> p.kind().equals("i") && p.bytes() == 4;
                case KernelParams.F32 x -> p.kind().equals("f") && p.bytes() == 4;
                case KernelParams.F64 x -> p.kind().equals("f") && p.bytes() == 8;
                case KernelParams.Struct x -> p.kind().equals("struct") && p.bytes() == x.bytes().length;
            };
            if (!ok) {
                throw new IllegalArgumentException("emulated cuLaunchKernel(" + f.name() + "): parameter " + i + " is declared "
                        + p + " in the PTX but the launch passes " + a.getClass().getSimpleName() + " " + a
                        + "; all parameters: declared " + declared + ", passed " + args);
            }
        }
    }

    /**
     * The {@code void**} array of a launch and the values it points to, laid out in one native
     * scratch area (each value 16-byte aligned) that every launch reuses: launches never overlap,
     * and CUDA's 4 KB parameter limit bounds the values.
     */
    private MemorySegment pack(List<KernelParams.Arg> args) {
        long values = 16 * Math.ceilDiv(8L * args.size(), 16);
        long end = values;
        for (KernelParams.Arg a : args) {
            end += 16 * Math.ceilDiv(a instanceof KernelParams.Struct st ? st.bytes().length : 8, 16);
        }
        if (scratch == null || scratch.byteSize() < end) {
            scratch = Arena.global().allocate(Math.max(end, 8192), 16);
        }
        long at = values;
        for (int i = 0; i < args.size(); i++) {
            MemorySegment slot = scratch.asSlice(at);
            scratch.setAtIndex(ValueLayout.ADDRESS, i, slot);
            switch (args.get(i)) {
                case KernelParams.Ptr p -> slot.set(ValueLayout.JAVA_LONG, 0, p.address());
                case KernelParams.I64 v -> slot.set(ValueLayout.JAVA_LONG, 0, v.value());
                case KernelParams.I32 v -> slot.set(ValueLayout.JAVA_INT, 0, v.value());
                case KernelParams.F32 v -> slot.set(ValueLayout.JAVA_FLOAT, 0, v.value());
                case KernelParams.F64 v -> slot.set(ValueLayout.JAVA_DOUBLE, 0, v.value());
                case KernelParams.Struct st -> MemorySegment.copy(st.bytes(), 0, slot, ValueLayout.JAVA_BYTE, 0, st.bytes().length);
            }
            at += 16 * Math.ceilDiv(args.get(i) instanceof KernelParams.Struct st ? st.bytes().length : 8, 16);
        }
        return scratch;
    }

    /**
     * After a launch: a kernel that wrote into a guard zone faults the context, as an illegal
     * address does on a GPU. Only the blocks its pointer arguments point into are checked (an
     * overrun from one of them lands in that block's guards), so the cost does not grow with the
     * number of live blocks.
     */
    private void checkGuards(String kernel, List<KernelParams.Arg> args) {
        List<String> hit = new ArrayList<>();
        List<Block> touched = new ArrayList<>(args.size());
        for (KernelParams.Arg a : args) {
            if (a instanceof KernelParams.Ptr(long address)) {
                Map.Entry<Long, Block> e = blocks.floorEntry(address);
                if (e != null && !touched.contains(e.getValue())) {
                    touched.add(e.getValue());
                }
            }
        }
        for (Block b : touched) {
            long tail = b.base().byteSize() - GUARD - b.bytes();
            if (!intact(b.base().asSlice(0, GUARD)) || !intact(b.base().asSlice(GUARD + b.bytes(), tail))) {
                hit.add(b.bytes() + " B at 0x" + Long.toHexString(b.address()));
                b.base().fill(GUARD_BYTE); // so one fault is reported once
                b.data().fill(POISON_BYTE);
            }
        }
        if (!hit.isEmpty()) {
            sticky = ILLEGAL_ADDRESS;
            details.put(ILLEGAL_ADDRESS, "kernel " + kernel + " " + args + " wrote outside the device block(s) " + hit);
        }
    }

    private static boolean intact(MemorySegment guard) {
        return MemorySegment.mismatch(guard, 0, guard.byteSize(), GUARD_PATTERN, 0, guard.byteSize()) < 0;
    }

    @Override
    public String errorName(int status) {
        return null; // CudaCheck names the codes itself
    }

    @Override
    public synchronized String errorString(int status) {
        String builtIn = CudaCheck.builtInString(status);
        String detail = details.get(status);
        return detail == null ? builtIn : (builtIn == null ? "" : builtIn + " ") + "[emulated driver: " + detail + "]";
    }
}
