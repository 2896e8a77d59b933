package dev.fathom.cuda;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;

import java.nio.charset.StandardCharsets;

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
 * <p>JCuda's own exceptions stay off: status codes are checked here, so each failure names the
 * call that made it.
 */
final class JCudaDriverApi implements CudaDriver {

    @Override
    public void init() {
        CudaError.check("cuInit", cuInit(0));
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
}
