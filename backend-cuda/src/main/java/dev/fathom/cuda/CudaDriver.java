package dev.fathom.cuda;

/**
 * The calls to the NVIDIA driver API that the backend makes, as an interface so that host logic
 * can be tested against a fake driver. Every method throws {@link CudaError} when the driver
 * returns an error status, and may throw {@link LinkageError} when the driver library is missing.
 */
interface CudaDriver {

    /** {@code cuInit(0)}. */
    void init();

    /** {@code cuDriverGetVersion}: e.g. 12080 for CUDA 12.8. */
    int driverVersion();

    /** {@code cuDeviceGetCount}. */
    int deviceCount();

    /** {@code cuDeviceGetName} of device {@code ordinal}. */
    String deviceName(int ordinal);

    /** {@code cuDeviceTotalMem} of device {@code ordinal}, in bytes. */
    long totalMemory(int ordinal);

    /** Compute capability of device {@code ordinal} as {major, minor}. */
    int[] computeCapability(int ordinal);
}
