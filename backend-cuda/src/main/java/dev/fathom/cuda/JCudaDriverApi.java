package dev.fathom.cuda;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

/**
 * {@link CudaDriver} through JCuda: the only class that touches {@code jcuda.*}. The first call
 * loads JCuda's native library, which needs {@code libcuda.so.1}; without a driver it throws
 * {@link UnsatisfiedLinkError}, and every later call {@link NoClassDefFoundError}.
 *
 * <p>JCuda's own exceptions stay off: status codes are checked here (probe calls) or returned to
 * {@link CudaCheck} (runtime calls), so each failure names the call and the op that made it.
 *
 * <p>Handles: device pointers are the real device addresses (kernels receive them by value), and
 * the {@code CUdeviceptr} objects JCuda needs for copies and frees are found again by address.
 * Streams, events, modules and functions are numbered here; 0 is the default stream.
 */
final class JCudaDriverApi implements CudaDriver {

    /** A {@code CUdeviceptr} whose device address can be read: JCuda keeps it in a protected field. */
    private static final class DevicePointer extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    /** A {@code CUstream} whose native handle can be read, for cuBLAS called through {@link NativeCublas}. */
    private static final class AddressableStream extends CUstream {
        long address() {
            return getNativePointer();
        }
    }

    /** A {@code CUfunction} whose native handle can be read, for launches through {@link NativeLaunch}. */
    private static final class AddressableFunction extends CUfunction {
        long address() {
            return getNativePointer();
        }
    }

    /**
     * {@code cuLaunchKernel} through java.lang.foreign ({@link NativeLaunch}), bound by {@link #init};
     * null with {@code -Dfathom.cuda.launch=jcuda}: JCuda's.
     */
    private volatile NativeLaunch foreignLaunch;

    /** Live allocations by base address, so an address inside one maps back to a {@code CUdeviceptr}. */
    private final ConcurrentSkipListMap<Long, DevicePointer> allocations = new ConcurrentSkipListMap<>();
    /** Pinned host buffers by identity: the {@code Pointer} cuMemFreeHost needs. */
    private final Map<ByteBuffer, Pointer> pinned = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
    private final Map<Long, NativePointerObject> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    @Override
    public void init() {
        CudaError.check("cuInit", cuInit(0));
        // Bound after JCuda has loaded libcuda.so.1, so that a machine without a driver gets JCuda's
        // reason; a bad property value or a library without the entry point fails the probe here,
        // and CUDA is unavailable with that reason.
        foreignLaunch = NativeLaunch.requested() ? NativeLaunch.open(NativeLaunch.SONAME) : null;
    }

    @Override
    public int driverVersion() {
        int[] v = new int[1];
        CudaError.check("cuDriverGetVersion", cuDriverGetVersion(v));
        return v[0];
    }

    @Override
    public int deviceCount() {
        int[] n = new int[1];
        CudaError.check("cuDeviceGetCount", cuDeviceGetCount(n));
        return n[0];
    }

    @Override
    public String deviceName(int ordinal) {
        byte[] name = new byte[256];
        CudaError.check("cuDeviceGetName", cuDeviceGetName(name, name.length, device(ordinal)));
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        return new String(name, 0, len, StandardCharsets.US_ASCII);
    }

    @Override
    public long totalMemory(int ordinal) {
        long[] bytes = new long[1];
        CudaError.check("cuDeviceTotalMem", cuDeviceTotalMem(bytes, device(ordinal)));
        return bytes[0];
    }

    @Override
    public int[] computeCapability(int ordinal) {
        CUdevice d = device(ordinal);
        int[] major = new int[1];
        int[] minor = new int[1];
        CudaError.check("cuDeviceGetAttribute", cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d));
        CudaError.check("cuDeviceGetAttribute", cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d));
        return new int[] {major[0], minor[0]};
    }

    private static CUdevice device(int ordinal) {
        CUdevice d = new CUdevice();
        CudaError.check("cuDeviceGet", cuDeviceGet(d, ordinal));
        return d;
    }

    private long register(NativePointerObject o) {
        long id = nextHandle.getAndIncrement();
        handles.put(id, o);
        return id;
    }

    private <T extends NativePointerObject> T handle(long id, Class<T> type) {
        NativePointerObject o = handles.get(id);
        if (!type.isInstance(o)) {
            throw new IllegalArgumentException("JCudaDriverApi: " + id + " is not a live " + type.getSimpleName() + " handle");
        }
        return type.cast(o);
    }

    private CUstream stream(long id) {
        return id == 0 ? null : handle(id, CUstream.class);
    }

    /** The {@code CUdeviceptr} for a device address at or inside a live allocation. */
    private CUdeviceptr pointer(long address) {
        Map.Entry<Long, DevicePointer> e = allocations.floorEntry(address);
        if (e == null) {
            throw new IllegalArgumentException("JCudaDriverApi: 0x" + Long.toHexString(address) + " is not in a live allocation");
        }
        return address == e.getKey() ? e.getValue() : e.getValue().withByteOffset(address - e.getKey());
    }

    @Override
    public int ctxRetainPrimary(int ordinal) {
        CUcontext ctx = new CUcontext();
        int status = JCudaDriver.cuDevicePrimaryCtxRetain(ctx, device(ordinal));
        return status != 0 ? status : JCudaDriver.cuCtxSetCurrent(ctx);
    }

    @Override
    public int ctxSynchronize() {
        return JCudaDriver.cuCtxSynchronize();
    }

    @Override
    public int memAlloc(long[] ptr, long bytes) {
        DevicePointer p = new DevicePointer();
        int status = JCudaDriver.cuMemAlloc(p, bytes);
        if (status == 0) {
            ptr[0] = p.address();
            allocations.put(ptr[0], p);
        }
        return status;
    }

    @Override
    public int memFree(long ptr) {
        DevicePointer p = allocations.get(ptr);
        if (p == null) {
            throw new IllegalArgumentException("JCudaDriverApi: cuMemFree of 0x" + Long.toHexString(ptr) + ", not a live allocation");
        }
        int status = JCudaDriver.cuMemFree(p);
        if (status == 0) {
            allocations.remove(ptr);
        }
        return status;
    }

    @Override
    public int memGetInfo(long[] freeAndTotal) {
        long[] free = new long[1];
        long[] total = new long[1];
        int status = JCudaDriver.cuMemGetInfo(free, total);
        freeAndTotal[0] = free[0];
        freeAndTotal[1] = total[0];
        return status;
    }

    @Override
    public int memAllocHost(ByteBuffer[] out, long bytes) {
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            return 1; // CUDA_ERROR_INVALID_VALUE: a ByteBuffer could not view it, and pinning it first would leak it
        }
        Pointer p = new Pointer();
        int status = JCudaDriver.cuMemAllocHost(p, bytes);
        if (status == 0) {
            out[0] = p.getByteBuffer(0, bytes);
            pinned.put(out[0], p);
        }
        return status;
    }

    @Override
    public int memFreeHost(ByteBuffer buffer) {
        Pointer p = pinned.remove(buffer);
        if (p == null) {
            throw new IllegalArgumentException("JCudaDriverApi: cuMemFreeHost of a buffer that cuMemAllocHost did not return");
        }
        return JCudaDriver.cuMemFreeHost(p);
    }

    @Override
    public int memcpyHtoDAsync(long dst, ByteBuffer src, long bytes, long stream) {
        return JCudaDriver.cuMemcpyHtoDAsync(pointer(dst), Pointer.toBuffer(src), bytes, stream(stream));
    }

    @Override
    public int memcpyDtoHAsync(ByteBuffer dst, long src, long bytes, long stream) {
        return JCudaDriver.cuMemcpyDtoHAsync(Pointer.toBuffer(dst), pointer(src), bytes, stream(stream));
    }

    @Override
    public int streamCreate(long[] stream) {
        CUstream s = new AddressableStream();
        int status = JCudaDriver.cuStreamCreate(s, 0);
        if (status == 0) {
            stream[0] = register(s);
        }
        return status;
    }

    @Override
    public int streamSynchronize(long stream) {
        return JCudaDriver.cuStreamSynchronize(stream(stream));
    }

    @Override
    public int streamDestroy(long stream) {
        int status = JCudaDriver.cuStreamDestroy(handle(stream, CUstream.class));
        handles.remove(stream);
        return status;
    }

    @Override
    public int eventCreate(long[] event) {
        CUevent e = new CUevent();
        int status = JCudaDriver.cuEventCreate(e, 0);
        if (status == 0) {
            event[0] = register(e);
        }
        return status;
    }

    @Override
    public int eventRecord(long event, long stream) {
        return JCudaDriver.cuEventRecord(handle(event, CUevent.class), stream(stream));
    }

    @Override
    public int eventQuery(long event) {
        return JCudaDriver.cuEventQuery(handle(event, CUevent.class));
    }

    @Override
    public int eventSynchronize(long event) {
        return JCudaDriver.cuEventSynchronize(handle(event, CUevent.class));
    }

    @Override
    public int eventDestroy(long event) {
        int status = JCudaDriver.cuEventDestroy(handle(event, CUevent.class));
        handles.remove(event);
        return status;
    }

    @Override
    public int eventElapsedTime(float[] ms, long start, long end) {
        return JCudaDriver.cuEventElapsedTime(ms, handle(start, CUevent.class), handle(end, CUevent.class));
    }

    @Override
    public int moduleLoadData(long[] module, byte[] image) {
        CUmodule m = new CUmodule();
        int status = JCudaDriver.cuModuleLoadData(m, image);
        if (status == 0) {
            module[0] = register(m);
        }
        return status;
    }

    @Override
    public int moduleGetFunction(long[] function, long module, String name) {
        CUfunction f = new AddressableFunction();
        int status = JCudaDriver.cuModuleGetFunction(f, handle(module, CUmodule.class), name);
        if (status == 0) {
            function[0] = register(f);
        }
        return status;
    }

    @Override
    public int launchKernel(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
            int sharedBytes, long stream, KernelParams params) {
        if (foreignLaunch != null) {
            return foreignLaunch.launch(handle(function, AddressableFunction.class).address(), gridX, gridY, gridZ, blockX, blockY,
                    blockZ, sharedBytes, stream == 0 ? 0 : handle(stream, AddressableStream.class).address(), params);
        }
        List<KernelParams.Arg> args = params.args();
        Pointer[] values = new Pointer[args.size()];
        for (int i = 0; i < values.length; i++) {
            // A pointer parameter is its 64-bit address passed by value, like any other scalar.
            values[i] = switch (args.get(i)) {
                case KernelParams.Ptr p -> Pointer.to(new long[] {p.address()});
                case KernelParams.I32 v -> Pointer.to(new int[] {v.value()});
                case KernelParams.I64 v -> Pointer.to(new long[] {v.value()});
                case KernelParams.F32 v -> Pointer.to(new float[] {v.value()});
                case KernelParams.F64 v -> Pointer.to(new double[] {v.value()});
                case KernelParams.Struct v -> Pointer.to(v.bytes());
            };
        }
        return JCudaDriver.cuLaunchKernel(handle(function, CUfunction.class), gridX, gridY, gridZ, blockX, blockY, blockZ,
                sharedBytes, stream(stream), Pointer.to(values), null);
    }

    /** Through {@link NativeLaunch#launchProgrammatic} where java.lang.foreign launches and the driver has cuLaunchKernelEx. */
    @Override
    public int launchKernelProgrammatic(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
            int sharedBytes, long stream, KernelParams params) {
        NativeLaunch foreign = foreignLaunch;
        if (foreign == null || !foreign.hasLaunchEx()) {
            return launchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream, params);
        }
        return foreign.launchProgrammatic(handle(function, AddressableFunction.class).address(), gridX, gridY, gridZ, blockX, blockY,
                blockZ, sharedBytes, stream == 0 ? 0 : handle(stream, AddressableStream.class).address(), params);
    }

    @Override
    public String errorName(int status) {
        String[] out = new String[1];
        return JCudaDriver.cuGetErrorName(status, out) == 0 ? out[0] : null;
    }

    @Override
    public String errorString(int status) {
        String[] out = new String[1];
        return JCudaDriver.cuGetErrorString(status, out) == 0 ? out[0] : null;
    }

    // ---- cuBLAS -----------------------------------------------------------------------------------

    @Override
    public int blasCreate(long[] handle, long stream) {
        NativeCublas foreign = CudaLibraries.nativeCublas();
        if (foreign != null) {
            return foreign.create(handle, stream == 0 ? 0 : handle(stream, AddressableStream.class).address());
        }
        jcuda.jcublas.JCublas2.setExceptionsEnabled(false);
        jcuda.jcublas.cublasHandle h = new jcuda.jcublas.cublasHandle();
        int status = jcuda.jcublas.JCublas2.cublasCreate(h);
        if (status != 0) {
            return status;
        }
        status = jcuda.jcublas.JCublas2.cublasSetStream(h, stream == 0 ? new jcuda.runtime.cudaStream_t()
                : new jcuda.runtime.cudaStream_t(handle(stream, CUstream.class)));
        if (status != 0) {
            jcuda.jcublas.JCublas2.cublasDestroy(h);
            return status;
        }
        handle[0] = register(h);
        return 0;
    }

    @Override
    public int blasDestroy(long handle) {
        NativeCublas foreign = CudaLibraries.nativeCublas();
        if (foreign != null) {
            return foreign.destroy(handle);
        }
        int status = jcuda.jcublas.JCublas2.cublasDestroy(handle(handle, jcuda.jcublas.cublasHandle.class));
        handles.remove(handle);
        return status;
    }

    @Override
    public int blasGemmStridedBatched(long handle, boolean f64, boolean transA, boolean transB, int m, int n, int k, long a,
            int lda, long strideA, long b, int ldb, long strideB, long c, int ldc, long strideC, int batch) {
        NativeCublas foreign = CudaLibraries.nativeCublas();
        if (foreign != null) {
            return foreign.gemmStridedBatched(handle, f64, transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc,
                    strideC, batch);
        }
        jcuda.jcublas.cublasHandle h = handle(handle, jcuda.jcublas.cublasHandle.class);
        int opA = transA ? jcuda.jcublas.cublasOperation.CUBLAS_OP_T : jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
        int opB = transB ? jcuda.jcublas.cublasOperation.CUBLAS_OP_T : jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
        if (f64) {
            return jcuda.jcublas.JCublas2.cublasDgemmStridedBatched(h, opA, opB, m, n, k, Pointer.to(new double[] {1}), pointer(a),
                    lda, strideA, pointer(b), ldb, strideB, Pointer.to(new double[] {0}), pointer(c), ldc, strideC, batch);
        }
        return jcuda.jcublas.JCublas2.cublasSgemmStridedBatched(h, opA, opB, m, n, k, Pointer.to(new float[] {1}), pointer(a), lda,
                strideA, pointer(b), ldb, strideB, Pointer.to(new float[] {0}), pointer(c), ldc, strideC, batch);
    }

    // ---- cuDNN ------------------------------------------------------------------------------------

    private static final int CUDNN_DATA_FLOAT = 0;
    private static final int CUDNN_DATA_DOUBLE = 1;
    private static final int CUDNN_TENSOR_NCHW = 0;

    private static int dataType(boolean f64) {
        return f64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    }

    /** A host scalar as cuDNN reads alpha and beta: double for double data, float otherwise. */
    private static Pointer scalar(boolean f64, double v) {
        return f64 ? Pointer.to(new double[] {v}) : Pointer.to(new float[] {(float) v});
    }

    /** The device pointer at {@code address}, or NULL for 0 (no workspace, no running statistics). */
    private Pointer devicePointer(long address) {
        return address == 0 ? null : pointer(address);
    }

    private jcuda.jcudnn.cudnnHandle dnn(long handle) {
        return handle(handle, jcuda.jcudnn.cudnnHandle.class);
    }

    private jcuda.jcudnn.cudnnTensorDescriptor tensor(long desc) {
        return handle(desc, jcuda.jcudnn.cudnnTensorDescriptor.class);
    }

    private jcuda.jcudnn.cudnnFilterDescriptor filter(long desc) {
        return handle(desc, jcuda.jcudnn.cudnnFilterDescriptor.class);
    }

    private jcuda.jcudnn.cudnnConvolutionDescriptor convolution(long desc) {
        return handle(desc, jcuda.jcudnn.cudnnConvolutionDescriptor.class);
    }

    @Override
    public int cudnnCreate(long[] handle, long stream) {
        jcuda.jcudnn.JCudnn.setExceptionsEnabled(false);
        jcuda.jcudnn.cudnnHandle h = new jcuda.jcudnn.cudnnHandle();
        int status = jcuda.jcudnn.JCudnn.cudnnCreate(h);
        if (status != 0) {
            return status;
        }
        status = jcuda.jcudnn.JCudnn.cudnnSetStream(h, stream == 0 ? new jcuda.runtime.cudaStream_t()
                : new jcuda.runtime.cudaStream_t(handle(stream, CUstream.class)));
        if (status != 0) {
            jcuda.jcudnn.JCudnn.cudnnDestroy(h);
            return status;
        }
        handle[0] = register(h);
        return 0;
    }

    @Override
    public int cudnnDestroy(long handle) {
        int status = jcuda.jcudnn.JCudnn.cudnnDestroy(dnn(handle));
        handles.remove(handle);
        return status;
    }

    @Override
    public int cudnnCreateTensorDescriptor(long[] desc, boolean f64, int n, int c, int h, int w, int nStride, int cStride,
            int hStride, int wStride) {
        jcuda.jcudnn.cudnnTensorDescriptor d = new jcuda.jcudnn.cudnnTensorDescriptor();
        int status = jcuda.jcudnn.JCudnn.cudnnCreateTensorDescriptor(d);
        if (status != 0) {
            return status;
        }
        status = jcuda.jcudnn.JCudnn.cudnnSetTensor4dDescriptorEx(d, dataType(f64), n, c, h, w, nStride, cStride, hStride, wStride);
        if (status != 0) {
            jcuda.jcudnn.JCudnn.cudnnDestroyTensorDescriptor(d);
            return status;
        }
        desc[0] = register(d);
        return 0;
    }

    @Override
    public int cudnnCreateFilterDescriptor(long[] desc, boolean f64, int k, int c, int h, int w) {
        jcuda.jcudnn.cudnnFilterDescriptor d = new jcuda.jcudnn.cudnnFilterDescriptor();
        int status = jcuda.jcudnn.JCudnn.cudnnCreateFilterDescriptor(d);
        if (status != 0) {
            return status;
        }
        status = jcuda.jcudnn.JCudnn.cudnnSetFilter4dDescriptor(d, dataType(f64), CUDNN_TENSOR_NCHW, k, c, h, w);
        if (status != 0) {
            jcuda.jcudnn.JCudnn.cudnnDestroyFilterDescriptor(d);
            return status;
        }
        desc[0] = register(d);
        return 0;
    }

    @Override
    public int cudnnCreateConvolutionDescriptor(long[] desc, boolean f64, int padH, int padW, int strideH, int strideW,
            int dilH, int dilW, int groups, int mode, int mathType) {
        jcuda.jcudnn.cudnnConvolutionDescriptor d = new jcuda.jcudnn.cudnnConvolutionDescriptor();
        int status = jcuda.jcudnn.JCudnn.cudnnCreateConvolutionDescriptor(d);
        if (status != 0) {
            return status;
        }
        status = jcuda.jcudnn.JCudnn.cudnnSetConvolution2dDescriptor(d, padH, padW, strideH, strideW, dilH, dilW, mode,
                dataType(f64));
        if (status == 0) {
            status = jcuda.jcudnn.JCudnn.cudnnSetConvolutionGroupCount(d, groups);
        }
        if (status == 0) {
            status = jcuda.jcudnn.JCudnn.cudnnSetConvolutionMathType(d, mathType);
        }
        if (status != 0) {
            jcuda.jcudnn.JCudnn.cudnnDestroyConvolutionDescriptor(d);
            return status;
        }
        desc[0] = register(d);
        return 0;
    }

    @Override
    public int cudnnDestroyDescriptor(long desc) {
        NativePointerObject d = handles.get(desc);
        int status = switch (d) {
            case jcuda.jcudnn.cudnnTensorDescriptor t -> jcuda.jcudnn.JCudnn.cudnnDestroyTensorDescriptor(t);
            case jcuda.jcudnn.cudnnFilterDescriptor f -> jcuda.jcudnn.JCudnn.cudnnDestroyFilterDescriptor(f);
            case jcuda.jcudnn.cudnnConvolutionDescriptor c -> jcuda.jcudnn.JCudnn.cudnnDestroyConvolutionDescriptor(c);
            case null, default -> throw new IllegalArgumentException("JCudaDriverApi: " + desc + " is not a live cuDNN descriptor");
        };
        handles.remove(desc);
        return status;
    }

    @Override
    public int cudnnGetConvolutionAlgorithms(long handle, ConvPass pass, long xDesc, long wDesc, long convDesc, long yDesc,
            List<AlgoPerf> out) {
        jcuda.jcudnn.cudnnHandle h = dnn(handle);
        int[] max = new int[1];
        return switch (pass) {
            case FORWARD -> algorithms(jcuda.jcudnn.JCudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(h, max), max,
                    jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf.class, false, (n, returned, perf) -> jcuda.jcudnn.JCudnn
                            .cudnnGetConvolutionForwardAlgorithm_v7(h, tensor(xDesc), filter(wDesc), convolution(convDesc),
                                    tensor(yDesc), n, returned, perf), out);
            case BACKWARD_DATA -> algorithms(jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, max), max,
                    jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf.class, false, (n, returned, perf) -> jcuda.jcudnn.JCudnn
                            .cudnnGetConvolutionBackwardDataAlgorithm_v7(h, filter(wDesc), tensor(yDesc), convolution(convDesc),
                                    tensor(xDesc), n, returned, perf), out);
            case BACKWARD_FILTER -> algorithms(jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, max), max,
                    jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf.class, false, (n, returned, perf) -> jcuda.jcudnn.JCudnn
                            .cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, tensor(xDesc), tensor(yDesc), convolution(convDesc),
                                    filter(wDesc), n, returned, perf), out);
        };
    }

    /** A cuDNN query that fills {@code perf} with up to {@code count} results and says how many in {@code returned[0]}. */
    @FunctionalInterface
    private interface PerfQuery<P> {
        int run(int count, int[] returned, P[] perf);
    }

    /**
     * The shared shape of the algorithm queries: given the status of the max-count call (which
     * wrote {@code max[0]}), runs {@code query} on that many fresh results of JCuda's {@code type}
     * and appends each returned one to {@code out} ({@link #readPerf}).
     */
    private static <P> int algorithms(int maxStatus, int[] max, Class<P> type, boolean timed, PerfQuery<P> query,
            List<AlgoPerf> out) {
        if (maxStatus != 0) {
            return maxStatus;
        }
        P[] perf = newPerfs(type, Math.max(1, max[0]));
        int[] returned = new int[1];
        int status = query.run(perf.length, returned, perf);
        for (int i = 0; status == 0 && i < returned[0]; i++) {
            out.add(readPerf(perf[i], timed));
        }
        return status;
    }

    // JCuda's three perf classes (cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf) share no type, but
    // they have the same public fields and a no-argument constructor, as cuDNN's three structs have
    // the same members. So one reader serves every pass, by the fields' names, where typed code
    // would repeat the same lines three times. It runs once per geometry and pass.

    /** {@code count} fresh results of {@code type}, for a query to fill. */
    @SuppressWarnings("unchecked")
    static <P> P[] newPerfs(Class<P> type, int count) {
        try {
            P[] perf = (P[]) java.lang.reflect.Array.newInstance(type, count);
            for (int i = 0; i < count; i++) {
                perf[i] = type.getConstructor().newInstance();
            }
            return perf;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cuda: cannot make JCudnn's " + type.getSimpleName() + " (" + e + "); use the JCudnn"
                    + " version the pom declares", e);
        }
    }

    /** One result, with its measured time when {@code timed} (Find); a heuristic query measures nothing: NaN. */
    static AlgoPerf readPerf(Object perf, boolean timed) {
        Class<?> c = perf.getClass();
        try {
            return new AlgoPerf(c.getField("algo").getInt(perf), c.getField("status").getInt(perf), c.getField("memory").getLong(perf),
                    c.getField("determinism").getInt(perf) == 1, c.getField("mathType").getInt(perf),
                    timed ? c.getField("time").getFloat(perf) : Float.NaN);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cuda: JCudnn's " + c.getSimpleName() + " lacks a field this backend reads (" + e
                    + "); use the JCudnn version the pom declares", e);
        }
    }

    @Override
    public int cudnnGetConvolutionWorkspaceSize(long handle, ConvPass pass, long xDesc, long wDesc, long convDesc, long yDesc,
            int algo, long[] bytes) {
        jcuda.jcudnn.cudnnHandle h = dnn(handle);
        return switch (pass) {
            case FORWARD -> jcuda.jcudnn.JCudnn.cudnnGetConvolutionForwardWorkspaceSize(h, tensor(xDesc), filter(wDesc),
                    convolution(convDesc), tensor(yDesc), algo, bytes);
            case BACKWARD_DATA -> jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(h, filter(wDesc), tensor(yDesc),
                    convolution(convDesc), tensor(xDesc), algo, bytes);
            case BACKWARD_FILTER -> jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(h, tensor(xDesc),
                    tensor(yDesc), convolution(convDesc), filter(wDesc), algo, bytes);
        };
    }

    @Override
    public int cudnnFindConvolutionAlgorithms(long handle, ConvPass pass, long xDesc, long x, long wDesc, long w, long convDesc,
            long yDesc, long y, long workspace, long workspaceBytes, List<AlgoPerf> out) {
        jcuda.jcudnn.cudnnHandle h = dnn(handle);
        Pointer ws = devicePointer(workspace);
        int[] max = new int[1];
        return switch (pass) {
            case FORWARD -> algorithms(jcuda.jcudnn.JCudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(h, max), max,
                    jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf.class, true, (n, returned, perf) -> jcuda.jcudnn.JCudnn
                            .cudnnFindConvolutionForwardAlgorithmEx(h, tensor(xDesc), pointer(x), filter(wDesc), pointer(w),
                                    convolution(convDesc), tensor(yDesc), pointer(y), n, returned, perf, ws, workspaceBytes), out);
            case BACKWARD_DATA -> algorithms(jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, max), max,
                    jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf.class, true, (n, returned, perf) -> jcuda.jcudnn.JCudnn
                            .cudnnFindConvolutionBackwardDataAlgorithmEx(h, filter(wDesc), pointer(w), tensor(yDesc), pointer(y),
                                    convolution(convDesc), tensor(xDesc), pointer(x), n, returned, perf, ws, workspaceBytes), out);
            case BACKWARD_FILTER -> algorithms(jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, max), max,
                    jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf.class, true, (n, returned, perf) -> jcuda.jcudnn.JCudnn
                            .cudnnFindConvolutionBackwardFilterAlgorithmEx(h, tensor(xDesc), pointer(x), tensor(yDesc), pointer(y),
                                    convolution(convDesc), filter(wDesc), pointer(w), n, returned, perf, ws, workspaceBytes), out);
        };
    }

    @Override
    public int cudnnConvolution(long handle, ConvPass pass, boolean f64, double alpha, long xDesc, long x, long wDesc, long w,
            long convDesc, int algo, long workspace, long workspaceBytes, double beta, long yDesc, long y) {
        jcuda.jcudnn.cudnnHandle h = dnn(handle);
        Pointer a = scalar(f64, alpha), b = scalar(f64, beta), ws = devicePointer(workspace);
        return switch (pass) {
            case FORWARD -> jcuda.jcudnn.JCudnn.cudnnConvolutionForward(h, a, tensor(xDesc), pointer(x), filter(wDesc), pointer(w),
                    convolution(convDesc), algo, ws, workspaceBytes, b, tensor(yDesc), pointer(y));
            case BACKWARD_DATA -> jcuda.jcudnn.JCudnn.cudnnConvolutionBackwardData(h, a, filter(wDesc), pointer(w), tensor(yDesc),
                    pointer(y), convolution(convDesc), algo, ws, workspaceBytes, b, tensor(xDesc), pointer(x));
            case BACKWARD_FILTER -> jcuda.jcudnn.JCudnn.cudnnConvolutionBackwardFilter(h, a, tensor(xDesc), pointer(x),
                    tensor(yDesc), pointer(y), convolution(convDesc), algo, ws, workspaceBytes, b, filter(wDesc), pointer(w));
        };
    }

    @Override
    public int cudnnBatchNormForwardTraining(long handle, int mode, boolean f64, double alpha, double beta, long xDesc, long x,
            long yDesc, long y, long bnDesc, long scale, long bias, double eps, long saveMean, long saveInvStd) {
        return jcuda.jcudnn.JCudnn.cudnnBatchNormalizationForwardTraining(dnn(handle), mode, scalar(f64, alpha),
                scalar(f64, beta), tensor(xDesc), pointer(x), tensor(yDesc), pointer(y), tensor(bnDesc), pointer(scale),
                pointer(bias), 0.0, null, null, eps, devicePointer(saveMean), devicePointer(saveInvStd));
    }

    @Override
    public int cudnnBatchNormBackward(long handle, int mode, boolean f64, double alphaData, double betaData, double alphaParam,
            double betaParam, long xDesc, long x, long dyDesc, long dy, long dxDesc, long dx, long bnDesc, long scale,
            long dScale, long dBias, double eps, long savedMean, long savedInvStd) {
        return jcuda.jcudnn.JCudnn.cudnnBatchNormalizationBackward(dnn(handle), mode, scalar(f64, alphaData),
                scalar(f64, betaData), scalar(f64, alphaParam), scalar(f64, betaParam), tensor(xDesc), pointer(x), tensor(dyDesc),
                pointer(dy), tensor(dxDesc), pointer(dx), tensor(bnDesc), pointer(scale), pointer(dScale), pointer(dBias), eps,
                devicePointer(savedMean), devicePointer(savedInvStd));
    }

    @Override
    public String cudnnErrorString(int status) {
        String s = jcuda.jcudnn.JCudnn.cudnnGetErrorString(status);
        return s == null || s.isBlank() ? "cudnnStatus " + status : s;
    }
}
