/**
 * The CUDA backend: {@link dev.fathom.cuda.CudaBackend}, found by {@link java.util.ServiceLoader}
 * under the name {@code "cuda"} with priority 100 (above the CPU's 0).
 *
 * <p>{@link dev.fathom.cuda.DriverProbe} asks the NVIDIA driver ({@code libcuda.so.1}, through
 * JCuda's driver API) for its version and GPUs, and turns every failure (no driver, no device, a
 * driver too old for the shipped PTX, no GPU of compute capability 7.5 or newer) into one line a
 * user can act on ({@link dev.fathom.cuda.AvailabilityReasons}); then {@code Device.auto()} falls
 * back to the CPU and {@code Device.cuda()} fails with the reason.
 *
 * <p>{@link dev.fathom.cuda.CudaKernels} implements the kernel SPI on one GPU: buffers are
 * {@link dev.fathom.cuda.CudaBuffer}s, and each kernel family's launch plumbing is its own class
 * ({@link dev.fathom.cuda.ElementwiseLaunches}, {@link dev.fathom.cuda.ReduceLaunches},
 * {@link dev.fathom.cuda.GemmLaunches}, {@link dev.fathom.cuda.IndexLaunches},
 * {@link dev.fathom.cuda.RandomLaunches}) over a lazily loaded {@link dev.fathom.cuda.KernelModule};
 * host copies go through {@link dev.fathom.cuda.Transfers}, data errors of kernels (I64 division
 * by zero, an index out of range) through {@link dev.fathom.cuda.DeviceChecks}, read at the next wait.
 *
 * <p>The host runtime under it, tested against a fake driver:
 * {@link dev.fathom.cuda.CudaDevice} (one GPU: context, stream, allocators,
 * launchers), {@link dev.fathom.cuda.CachingAllocator} (size classes, so a repeated
 * training step never calls {@code cuMemAlloc}; out-of-memory empties the cache and retries
 * once), {@link dev.fathom.cuda.PinnedBufferPool} (pinned transfer buffers),
 * {@link dev.fathom.cuda.ComputeStream} (the device's one stream: copies, waits, events),
 * {@link dev.fathom.cuda.KernelLauncher} (geometry checks, launches, {@code -Dfathom.cuda.sync}),
 * {@link dev.fathom.cuda.KernelProfiler} (a driver around the real one that times each kernel and
 * library call on the GPU, {@code -Dfathom.cuda.profile}),
 * {@link dev.fathom.cuda.CudaCheck} (every runtime status becomes a
 * {@link dev.fathom.cuda.CudaException} naming op, shapes and CUDA error).
 *
 * <p>The own kernels are CUDA C under {@code src/main/cuda/} (the elementwise family —
 * fill, copy/cast, unary, binary, compare, where, the ReLU and GELU gradients —, reductions over
 * a contiguous inner run, gather/scatter-add, Philox random fills and a tiled GEMM), compiled to PTX by
 * {@code scripts/build-kernels} into {@code resources/dev/fathom/cuda/ptx/}, and to sm_80/sm_90
 * machine code into {@code .../cuda/sass/} (which {@link dev.fathom.cuda.KernelImages} offers 8.x and
 * 9.0 GPUs first, the PTX being the fallback), and checked by
 * {@code scripts/check-kernels} in CI; {@link dev.fathom.cuda.LaunchGeometry} and
 * {@link dev.fathom.cuda.GemmGeometry} compute their grids. The same sources run on the CPU
 * under {@code src/test/cuda/cuda_emu.h} in {@code KernelEmulationTest}.
 *
 * <p>Fused ops (softmax/log-softmax, layer and batch norm forward and backward, SGD and Adam
 * updates): {@code softmax.cu}, {@code norm.cu}, {@code optim.cu} (block reductions shared in
 * {@code fused_reduce.cuh}), launched by {@link dev.fathom.cuda.CudaFusedOps} with the kernel
 * and geometry of {@link dev.fathom.cuda.FusedLaunchPlan}, emulated in
 * {@code FusedKernelEmulationTest}. Fused attention: {@code attention.cu} (forward; backward as a
 * dK/dV kernel per key tile and a dQ kernel per query tile, no atomics), launched by
 * {@link dev.fathom.cuda.CudaAttention}, emulated in {@code AttentionKernelEmulationTest}. The fused
 * LSTM cell: {@code recurrent.cu} (forward and backward, one thread per unit), launched by
 * {@link dev.fathom.cuda.CudaRecurrent}, emulated in {@code RecurrentKernelEmulationTest}.
 *
 * <p>Convolution and pooling: {@code conv.cu} (implicit GEMM forward, backward-data in stride
 * phases, deterministic split-K backward-weight) and {@code pool.cu} (max with indices, average;
 * gather-style backward), launched by {@link dev.fathom.cuda.CudaConvolutions} with the grids of
 * {@link dev.fathom.cuda.ConvGeometry} and {@link dev.fathom.cuda.PoolGeometry}.
 *
 * <p>Start-up decisions: {@link dev.fathom.cuda.CudaLibraries} loads cuBLAS, cuDNN and NVRTC
 * once (their versions, or the missing shared object; cuBLAS through JCublas or, where that cannot
 * bind CUDA 13's {@code libcublas.so.13}, through {@code java.lang.foreign} in
 * {@link dev.fathom.cuda.NativeCublas}), and {@link dev.fathom.cuda.CudaPlan}
 * decides which implementation serves each op family: the module images
 * ({@link dev.fathom.cuda.KernelImages}) are the shipped PTX or, for a driver too old for it (or
 * with {@code -Dfathom.cuda.kernels=nvrtc}, to check that path on a new one), the shipped CUDA C
 * compiled by {@link dev.fathom.cuda.NvrtcCompiler}; GEMM goes to cuBLAS where it
 * loads ({@link dev.fathom.cuda.BlasGemm} maps the row-major product onto the column-major call);
 * convolution and batch norm go to cuDNN where it loads ({@link dev.fathom.cuda.CudnnOps}:
 * descriptors per geometry, deterministic algorithms picked as {@link dev.fathom.cuda.CudnnAlgoSearch}
 * says, FMA math; it declines what it does not map
 * and the own kernels serve that). Pooling stays on the own kernels (cuDNN's max pooling has no
 * argmax indices). {@code fathom devices} prints the plan ({@code CudaBackend.details()}).
 *
 * <p>Launches go through {@link dev.fathom.cuda.NativeLaunch}, which calls {@code cuLaunchKernel}
 * through {@code java.lang.foreign} with the parameters written into a reused native block, instead
 * of JCuda's per-argument JNI marshalling ({@code -Dfathom.cuda.launch=jcuda} goes back to JCuda's).
 * Where their code was compiled for sm_90, the own kernels go through {@code cuLaunchKernelEx} as
 * programmatic dependents of the kernel before them (each waits for its predecessor itself, see
 * {@link dev.fathom.cuda.KernelLauncher}); {@code -Dfathom.cuda.pdl=false} launches them as any other.
 *
 * <p>Depends on tensor-api's SPI and JCuda (through {@code JCudaDriverApi}, {@code CudaLibraries}
 * and {@code NvrtcCompiler} only).
 *
 * <p>Contracts:
 * <ul>
 *   <li>Constructing {@link dev.fathom.cuda.CudaBackend} loads no native code; the first
 *       {@code availability()} call does, once, and the answer is cached for the JVM's life
 *       (JCuda cannot retry a failed native load anyway: later touches throw
 *       {@code NoClassDefFoundError}).</li>
 *   <li>Only {@link dev.fathom.cuda.JCudaDriverApi} (driver, cuBLAS and cuDNN calls),
 *       {@link dev.fathom.cuda.CudaLibraries} and {@link dev.fathom.cuda.NvrtcCompiler} touch
 *       JCuda. Everything else talks to the
 *       {@link dev.fathom.cuda.CudaDriver} interface, so host logic is tested against a fake
 *       driver on machines without a GPU.</li>
 *   <li>The probe's driver status codes become {@link dev.fathom.cuda.CudaError}, which names
 *       the call and the {@code CUresult}; runtime calls return their status to
 *       {@link dev.fathom.cuda.CudaCheck}.</li>
 *   <li>{@link dev.fathom.cuda.CudaKernels} is asynchronous: every method enqueues on the device's
 *       one stream and returns, except {@code download} and {@code synchronize}, which wait and
 *       then throw any data error a kernel found since the last wait (I64 division by zero, an index
 *       out of range: {@link dev.fathom.cuda.DeviceChecks}). Any thread may call
 *       in: the primary context is made current on a thread at its first call.</li>
 *   <li>Without a GPU, the tests run this whole package on {@code EmulatedDriver}, a
 *       {@link dev.fathom.cuda.CudaDriver} whose kernels are the same {@code .cu} files compiled by
 *       g++ against {@code cuda_emu.h}: the conformance suite runs on it as the test backend
 *       {@code cuda-emu}.</li>
 * </ul>
 */
package dev.fathom.cuda;
