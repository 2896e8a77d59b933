package dev.fathom.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A CUDA driver in Java for host-logic tests (as tinygrad tests its runtime against a fake):
 * device memory is byte arrays at made-up addresses with a capacity, so out-of-memory happens
 * when it would on a GPU of that size; every stream is a queue that runs only when the host waits
 * (stream/event/context synchronize), so anything that forgets to wait, or waits on the wrong
 * stream, sees stale data; kernels are Java lambdas registered by name, and one that throws
 * {@link Fault} poisons the context the way a faulting kernel does (a sticky error reported at
 * the next wait, and by every call after).
 *
 * <p>Counts every call by its C name ({@link #calls}) and logs every queued op in the order it
 * ran ({@link #executed}), with its stream. Thread-safe (one lock), like the real driver.
 */
class FakeDriver implements CudaDriver {

    /** Thrown by a fake kernel to fault with {@code status} (e.g. 700, illegal address). */
    static final class Fault extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        Fault(int status) {
            super("fault " + status, null, false, false);
            this.status = status;
        }
    }

    /** One launch as the fake saw it. */
    record Launch(String kernel, int[] grid, int[] block, int sharedBytes, long stream, List<KernelParams.Arg> args) {
        long ptr(int i) {
            return ((KernelParams.Ptr) args.get(i)).address();
        }

        int i32(int i) {
            return ((KernelParams.I32) args.get(i)).value();
        }

        float f32(int i) {
            return ((KernelParams.F32) args.get(i)).value();
        }

        long i64(int i) {
            return ((KernelParams.I64) args.get(i)).value();
        }

        double f64(int i) {
            return ((KernelParams.F64) args.get(i)).value();
        }

        byte[] struct(int i) {
            return ((KernelParams.Struct) args.get(i)).bytes();
        }
    }

    /** A kernel body: runs on the fake's memory when its stream is drained. */
    interface Kernel {
        void run(FakeDriver device, Launch launch);
    }

    private record Op(long stream, String label, Runnable work) {
    }

    // Probe behaviour.
    private int gpus = 1;
    private int driverVersion = 13000;
    private String failingCall = "";
    private int failingStatus;

    // Memory.
    private long capacity = 1L << 30;
    private long used;
    private long nextAddress = 0x7f00_0000_0000L;
    private final TreeMap<Long, byte[]> memory = new TreeMap<>();
    private int forcedAllocStatus;

    // Streams, events, modules.
    private final Map<Long, ArrayDeque<Op>> queues = new HashMap<>();
    private final Map<Long, Boolean> eventDone = new HashMap<>();
    private final Map<Long, Long> eventNanos = new HashMap<>();
    private final Map<Long, Long> eventStream = new HashMap<>();
    private final Map<String, Kernel> kernels = new HashMap<>();
    private final Map<Long, String> functions = new HashMap<>();
    private long nextHandle = 1;
    private int moduleLoadStatus;
    private int fatbinLoadStatus;
    private int forcedLaunchStatus;
    private boolean anyKernel;
    private final Map<Integer, int[]> computeCapability = new HashMap<>();
    private boolean driverKnowsNames;
    private boolean namesThrow;
    private int sticky;

    private final Map<String, Integer> calls = new HashMap<>();
    private final List<String> executed = new ArrayList<>();
    private final List<Launch> launches = new ArrayList<>();

    // ---- configuration

    synchronized FakeDriver gpus(int n) {
        gpus = n;
        return this;
    }

    synchronized FakeDriver driverVersion(int v) {
        driverVersion = v;
        return this;
    }

    /** Makes the probe call {@code call} (e.g. "cuInit") throw {@link CudaError} with {@code status}. */
    synchronized FakeDriver failing(String call, int status) {
        failingCall = call;
        failingStatus = status;
        return this;
    }

    synchronized FakeDriver capacity(long bytes) {
        capacity = bytes;
        return this;
    }

    /** Every cuMemAlloc returns {@code status} until set back to 0. */
    synchronized FakeDriver forceAllocStatus(int status) {
        forcedAllocStatus = status;
        return this;
    }

    synchronized FakeDriver forceLaunchStatus(int status) {
        forcedLaunchStatus = status;
        return this;
    }

    /** The status cuModuleLoadData answers for a fatbin (magic 0xBA55ED50), as a driver that cannot use it would. */
    synchronized FakeDriver fatbinLoadStatus(int status) {
        fatbinLoadStatus = status;
        return this;
    }

    synchronized FakeDriver moduleLoadStatus(int status) {
        moduleLoadStatus = status;
        return this;
    }

    /** Makes cuGetErrorName/String answer (as "FAKE_<code>"/"fake description"), as a real driver would. */
    synchronized FakeDriver driverKnowsNames() {
        driverKnowsNames = true;
        return this;
    }

    /** Makes cuGetErrorName/String throw as JCuda does after a failed native load. */
    synchronized FakeDriver namesThrow() {
        namesThrow = true;
        return this;
    }

    /** Accepts every kernel name: a launch of one without a registered body is recorded and does nothing. */
    synchronized FakeDriver anyKernel() {
        anyKernel = true;
        return this;
    }

    /** The compute capability device {@code ordinal} reports (9.0 unless set). */
    synchronized FakeDriver computeCapability(int ordinal, int major, int minor) {
        computeCapability.put(ordinal, new int[] {major, minor});
        return this;
    }

    synchronized FakeDriver kernel(String name, Kernel body) {
        kernels.put(name, body);
        return this;
    }

    // ---- inspection

    synchronized int calls(String cName) {
        return calls.getOrDefault(cName, 0);
    }

    synchronized List<String> executed() {
        return List.copyOf(executed);
    }

    synchronized List<Launch> launches() {
        return List.copyOf(launches);
    }

    synchronized long usedBytes() {
        return used;
    }

    /** Lets the GPU catch up: runs every queued op of every stream, as time passing would. */
    synchronized void progress() {
        for (Long s : List.copyOf(queues.keySet())) {
            drain(s, null);
        }
    }

    synchronized float[] readFloats(long address, int n) {
        ByteBuffer b = slice(address, 4L * n);
        float[] out = new float[n];
        b.asFloatBuffer().get(out);
        return out;
    }

    synchronized void writeFloats(long address, float[] values) {
        slice(address, 4L * values.length).asFloatBuffer().put(values);
    }

    /** The device memory from {@code address} to the end of its allocation, little-endian (for kernel bodies). */
    synchronized ByteBuffer from(long address) {
        Map.Entry<Long, byte[]> e = memory.floorEntry(address);
        if (e == null || address - e.getKey() > e.getValue().length) {
            throw new Fault(700);
        }
        return slice(address, e.getValue().length - (address - e.getKey()));
    }

    synchronized byte[] readBytes(long address, int n) {
        byte[] out = new byte[n];
        slice(address, n).get(out);
        return out;
    }

    synchronized void writeBytes(long address, byte[] values) {
        slice(address, values.length).put(values);
    }

    /** Launches of {@code kernel} so far. */
    synchronized List<Launch> launches(String kernel) {
        return launches.stream().filter(l -> l.kernel().equals(kernel)).toList();
    }

    /** The bytes at {@code address}, little-endian; a {@link Fault} 700 outside every allocation. */
    ByteBuffer slice(long address, long bytes) {
        Map.Entry<Long, byte[]> e = memory.floorEntry(address);
        if (e == null || address - e.getKey() + bytes > e.getValue().length) {
            throw new Fault(700);
        }
        return ByteBuffer.wrap(e.getValue(), (int) (address - e.getKey()), (int) bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private boolean inRange(long address, long bytes) {
        Map.Entry<Long, byte[]> e = memory.floorEntry(address);
        return e != null && address - e.getKey() + bytes <= e.getValue().length;
    }

    void count(String cName) {
        calls.merge(cName, 1, Integer::sum);
    }

    void enqueue(long stream, String label, Runnable work) {
        queues.computeIfAbsent(stream, s -> new ArrayDeque<>()).addLast(new Op(stream, label, work));
    }

    /** Runs {@code stream}'s queue in order, up to and including the op that sets {@code event} (all if null). */
    private int drain(long stream, Long event) {
        ArrayDeque<Op> q = queues.getOrDefault(stream, new ArrayDeque<>());
        while (!q.isEmpty() && (event == null || !eventDone.getOrDefault(event, false))) {
            Op op = q.removeFirst();
            if (sticky != 0) {
                continue; // a faulted context runs nothing more
            }
            try {
                op.work().run();
                executed.add("stream " + op.stream() + ": " + op.label());
            } catch (Fault f) {
                sticky = f.status;
                executed.add("stream " + op.stream() + ": " + op.label() + " FAULT " + f.status);
            }
        }
        return sticky;
    }

    // ---- probe calls

    private void maybeFail(String call) {
        if (call.equals(failingCall)) {
            throw new CudaError(call, failingStatus);
        }
    }

    @Override
    public synchronized void init() {
        count("cuInit");
        maybeFail("cuInit");
    }

    @Override
    public synchronized int driverVersion() {
        maybeFail("cuDriverGetVersion");
        return driverVersion;
    }

    @Override
    public synchronized int deviceCount() {
        maybeFail("cuDeviceGetCount");
        return gpus;
    }

    @Override
    public String deviceName(int ordinal) {
        return "NVIDIA H100 80GB HBM3";
    }

    @Override
    public long totalMemory(int ordinal) {
        return 85_000_000_000L;
    }

    @Override
    public synchronized int[] computeCapability(int ordinal) {
        return computeCapability.getOrDefault(ordinal, new int[] {9, 0}).clone();
    }

    // ---- runtime calls

    @Override
    public synchronized int ctxRetainPrimary(int ordinal) {
        count("cuDevicePrimaryCtxRetain");
        return ordinal < gpus ? 0 : 101;
    }

    @Override
    public synchronized int ctxSynchronize() {
        count("cuCtxSynchronize");
        progress();
        return sticky;
    }

    @Override
    public synchronized int memAlloc(long[] ptr, long bytes) {
        count("cuMemAlloc");
        if (sticky != 0) {
            return sticky;
        }
        if (forcedAllocStatus != 0) {
            return forcedAllocStatus;
        }
        if (bytes <= 0) {
            return 1;
        }
        if (used + bytes > capacity) {
            return CudaCheck.OUT_OF_MEMORY;
        }
        long address = nextAddress;
        nextAddress += Math.ceilDiv(bytes, 512) * 512 + 512; // a gap, so an overrun faults
        memory.put(address, new byte[Math.toIntExact(bytes)]);
        used += bytes;
        ptr[0] = address;
        return 0;
    }

    @Override
    public synchronized int memFree(long ptr) {
        count("cuMemFree");
        byte[] block = memory.remove(ptr);
        if (block == null) {
            return 1;
        }
        used -= block.length;
        return 0;
    }

    @Override
    public synchronized int memGetInfo(long[] freeAndTotal) {
        count("cuMemGetInfo");
        freeAndTotal[0] = capacity - used;
        freeAndTotal[1] = capacity;
        return 0;
    }

    private final Map<ByteBuffer, Long> pinned = new java.util.IdentityHashMap<>();
    private long pinnedCapacity = 1L << 30;
    private long pinnedUsed;

    synchronized FakeDriver pinnedCapacity(long bytes) {
        pinnedCapacity = bytes;
        return this;
    }

    synchronized long pinnedBytes() {
        return pinnedUsed;
    }

    @Override
    public synchronized int memAllocHost(ByteBuffer[] out, long bytes) {
        count("cuMemAllocHost");
        if (pinnedUsed + bytes > pinnedCapacity) {
            return CudaCheck.OUT_OF_MEMORY;
        }
        out[0] = ByteBuffer.allocateDirect(Math.toIntExact(bytes));
        pinned.put(out[0], bytes);
        pinnedUsed += bytes;
        return 0;
    }

    @Override
    public synchronized int memFreeHost(ByteBuffer buffer) {
        count("cuMemFreeHost");
        Long bytes = pinned.remove(buffer);
        if (bytes == null) {
            return 1;
        }
        pinnedUsed -= bytes;
        return 0;
    }

    @Override
    public synchronized int memcpyHtoDAsync(long dst, ByteBuffer src, long bytes, long stream) {
        count("cuMemcpyHtoDAsync");
        if (sticky != 0) {
            return sticky;
        }
        if (!inRange(dst, bytes) || src.remaining() < bytes) {
            return 1;
        }
        // Pageable source: the driver stages it before returning, so later host writes do not leak in.
        byte[] staged = new byte[(int) bytes];
        src.duplicate().get(staged);
        enqueue(stream, "HtoD " + bytes + " B", () -> slice(dst, bytes).put(staged));
        return 0;
    }

    @Override
    public synchronized int memcpyDtoHAsync(ByteBuffer dst, long src, long bytes, long stream) {
        count("cuMemcpyDtoHAsync");
        if (sticky != 0) {
            return sticky;
        }
        if (!inRange(src, bytes) || dst.remaining() < bytes) {
            return 1;
        }
        ByteBuffer target = dst.duplicate();
        enqueue(stream, "DtoH " + bytes + " B", () -> target.put(slice(src, bytes)));
        return 0;
    }

    @Override
    public synchronized int streamCreate(long[] stream) {
        count("cuStreamCreate");
        stream[0] = nextHandle++;
        queues.put(stream[0], new ArrayDeque<>());
        return 0;
    }

    @Override
    public synchronized int streamSynchronize(long stream) {
        count("cuStreamSynchronize");
        return drain(stream, null);
    }

    @Override
    public synchronized int streamDestroy(long stream) {
        count("cuStreamDestroy");
        return queues.remove(stream) == null ? 400 : 0;
    }

    @Override
    public synchronized int eventCreate(long[] event) {
        count("cuEventCreate");
        event[0] = nextHandle++;
        eventDone.put(event[0], false);
        return 0;
    }

    @Override
    public synchronized int eventRecord(long event, long stream) {
        count("cuEventRecord");
        eventDone.put(event, false);
        eventStream.put(event, stream);
        enqueue(stream, "event " + event, () -> {
            eventDone.put(event, true);
            eventNanos.put(event, System.nanoTime());
        });
        return 0;
    }

    @Override
    public synchronized int eventElapsedTime(float[] ms, long start, long end) {
        count("cuEventElapsedTime");
        if (!eventDone.containsKey(start) || !eventDone.containsKey(end)) {
            return 400;
        }
        if (!eventDone.get(start) || !eventDone.get(end)) {
            return CudaCheck.NOT_READY;
        }
        ms[0] = (eventNanos.get(end) - eventNanos.get(start)) / 1e6f;
        return 0;
    }

    @Override
    public synchronized int eventQuery(long event) {
        count("cuEventQuery");
        if (sticky != 0) {
            return sticky;
        }
        return eventDone.getOrDefault(event, false) ? 0 : CudaCheck.NOT_READY;
    }

    @Override
    public synchronized int eventSynchronize(long event) {
        count("cuEventSynchronize");
        return drain(eventStream.getOrDefault(event, 0L), event);
    }

    @Override
    public synchronized int eventDestroy(long event) {
        count("cuEventDestroy");
        eventNanos.remove(event);
        return eventDone.remove(event) == null ? 400 : 0;
    }

    @Override
    public synchronized int moduleLoadData(long[] module, byte[] image) {
        count("cuModuleLoadData");
        if (moduleLoadStatus != 0) {
            return moduleLoadStatus;
        }
        boolean fatbin = image.length >= 4 && (image[0] & 0xff) == 0x50 && (image[1] & 0xff) == 0xed && (image[2] & 0xff) == 0x55
                && (image[3] & 0xff) == 0xba;
        if (fatbin) {
            count("cuModuleLoadData(fatbin)");
            if (fatbinLoadStatus != 0) {
                return fatbinLoadStatus;
            }
        }
        module[0] = nextHandle++;
        return 0;
    }

    @Override
    public synchronized int moduleGetFunction(long[] function, long module, String name) {
        count("cuModuleGetFunction");
        if (!kernels.containsKey(name) && !anyKernel) {
            return 500;
        }
        function[0] = nextHandle++;
        functions.put(function[0], name);
        return 0;
    }

    @Override
    public synchronized int launchKernel(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
            int sharedBytes, long stream, KernelParams params) {
        count("cuLaunchKernel");
        if (sticky != 0) {
            return sticky;
        }
        if (forcedLaunchStatus != 0) {
            return forcedLaunchStatus;
        }
        String name = functions.get(function);
        if (name == null) {
            return 400;
        }
        Launch l = new Launch(name, new int[] {gridX, gridY, gridZ}, new int[] {blockX, blockY, blockZ}, sharedBytes, stream,
                params.args());
        launches.add(l);
        Kernel body = kernels.getOrDefault(name, (dev, launch) -> { });
        enqueue(stream, "launch " + name, () -> body.run(this, l));
        return 0;
    }

    /** Counted as {@code cuLaunchKernelEx}, then run as {@link #launchKernel} (which counts {@code cuLaunchKernel} too). */
    @Override
    public synchronized int launchKernelProgrammatic(long function, int gridX, int gridY, int gridZ, int blockX, int blockY,
            int blockZ, int sharedBytes, long stream, KernelParams params) {
        count("cuLaunchKernelEx");
        return launchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream, params);
    }

    // ---- cuBLAS: reference column-major GEMM on the fake memory, queued on the handle's stream --------

    /** One cuBLAS GEMM call as the fake saw it (cuBLAS's column-major terms). */
    record BlasCall(boolean f64, boolean transA, boolean transB, int m, int n, int k, long a, int lda, long strideA, long b,
            int ldb, long strideB, long c, int ldc, long strideC, int batch) {
    }

    private final Map<Long, Long> blasStreams = new HashMap<>();
    private final List<BlasCall> blasCalls = new ArrayList<>();

    synchronized List<BlasCall> blasCalls() {
        return List.copyOf(blasCalls);
    }

    @Override
    public synchronized int blasCreate(long[] handle, long stream) {
        count("cublasCreate");
        handle[0] = 0xB1A5_0000L + blasStreams.size() + 1;
        blasStreams.put(handle[0], stream);
        return 0;
    }

    @Override
    public synchronized int blasDestroy(long handle) {
        count("cublasDestroy");
        return blasStreams.remove(handle) == null ? 7 : 0;
    }

    @Override
    public synchronized int blasGemmStridedBatched(long handle, boolean f64, boolean transA, boolean transB, int m, int n, int k,
            long a, int lda, long strideA, long b, int ldb, long strideB, long c, int ldc, long strideC, int batch) {
        count(f64 ? "cublasDgemmStridedBatched" : "cublasSgemmStridedBatched");
        Long stream = blasStreams.get(handle);
        if (stream == null || lda < (transA ? k : m) || ldb < (transB ? n : k) || ldc < m) {
            return 7;  // CUBLAS_STATUS_INVALID_VALUE, as cuBLAS checks the leading dimensions
        }
        BlasCall call = new BlasCall(f64, transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch);
        blasCalls.add(call);
        int size = f64 ? 8 : 4;
        enqueue(stream, "cublasGemmStridedBatched", () -> {
            for (int p = 0; p < batch; p++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        for (int l = 0; l < k; l++) {
                            long ai = transA ? l + (long) i * lda : i + (long) l * lda;
                            long bi = transB ? j + (long) l * ldb : l + (long) j * ldb;
                            sum += element(a + (p * strideA + ai) * size, f64) * element(b + (p * strideB + bi) * size, f64);
                        }
                        long ci = c + (p * strideC + i + (long) j * ldc) * size;
                        if (f64) {
                            slice(ci, 8).putDouble(sum);
                        } else {
                            slice(ci, 4).putFloat((float) sum);
                        }
                    }
                }
            }
        });
        return 0;
    }

    private double element(long address, boolean f64) {
        return f64 ? slice(address, 8).getDouble() : slice(address, 4).getFloat();
    }

    @Override
    public synchronized String errorName(int status) {
        if (namesThrow) {
            throw new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver");
        }
        return driverKnowsNames ? "FAKE_" + status : null;
    }

    @Override
    public synchronized String errorString(int status) {
        if (namesThrow) {
            throw new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver");
        }
        return driverKnowsNames ? "fake description" : null;
    }
}
