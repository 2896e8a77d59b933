/**
 * The CUDA backend: {@link dev.fathom.cuda.CudaBackend}, found by {@link java.util.ServiceLoader}
 * under the name {@code "cuda"} with priority 100 (above the CPU's 0).
 *
 * <p>Today the backend only probes: {@link dev.fathom.cuda.DriverProbe} asks the NVIDIA driver
 * ({@code libcuda.so.1}, through JCuda's driver API) for its version and GPUs, and turns every
 * failure (no driver, no device, a driver too old) into one line a user can act on. The kernels
 * land with issue 5; until then the backend reports itself unavailable even on a GPU machine, so
 * {@code Device.auto()} falls back to the CPU and {@code Device.cuda()} fails with the reason.
 *
 * <p>Contracts:
 * <ul>
 *   <li>Constructing {@link dev.fathom.cuda.CudaBackend} loads no native code; the first
 *       {@code availability()} call does, once, and the answer is cached for the JVM's life
 *       (JCuda cannot retry a failed native load anyway: later touches throw
 *       {@code NoClassDefFoundError}).</li>
 *   <li>Only {@link dev.fathom.cuda.JCudaDriverApi} touches JCuda. Everything else talks to the
 *       {@link dev.fathom.cuda.CudaDriver} interface, so host logic is tested against a fake
 *       driver on machines without a GPU.</li>
 *   <li>Driver status codes become {@link dev.fathom.cuda.CudaError}, which names the call and
 *       the {@code CUresult}.</li>
 * </ul>
 */
package dev.fathom.cuda;
