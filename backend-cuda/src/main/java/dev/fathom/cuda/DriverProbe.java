package dev.fathom.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Asks the NVIDIA driver what is there, without ever throwing: the answer is a {@link Result}
 * that either lists the driver version and GPUs or carries one line saying why CUDA cannot be
 * used here (no driver, no device, a driver too old, ...).
 *
 * <p>Probing costs one native library load (tens of milliseconds); callers cache the result.
 */
final class DriverProbe {

    /** One GPU as the driver describes it. */
    record Gpu(int ordinal, String name, long totalBytes, int ccMajor, int ccMinor) {

        /** {@code "NVIDIA H100 80GB HBM3, compute capability 9.0, 79.1 GiB"}. */
        String describe() {
            return String.format(Locale.ROOT, "%s, compute capability %d.%d, %.1f GiB", name, ccMajor, ccMinor,
                    totalBytes / (1024.0 * 1024 * 1024));
        }
    }

    /**
     * What the probe found: on success {@code failure} is null and {@code gpus} is non-empty; on
     * failure {@code failure} is the reason and {@code driverVersion} is 0 when unknown.
     */
    record Result(String failure, int driverVersion, List<Gpu> gpus) {
        Result {
            gpus = List.copyOf(gpus);
        }

        boolean ok() {
            return failure == null;
        }

        /** {@code "12.8"} from the driver's 12080. */
        String driverVersionString() {
            return formatVersion(driverVersion);
        }
    }

    private DriverProbe() {
    }

    /** Probes through JCuda. Never throws. */
    static Result probe() {
        return probe(JCudaDriverApi::new);
    }

    /** Probes through the driver {@code driver} supplies (created inside, as loading it may fail). Never throws. */
    static Result probe(Supplier<? extends CudaDriver> driver) {
        int version = 0;
        try {
            CudaDriver d = driver.get();
            d.init();
            version = d.driverVersion();
            int count = d.deviceCount();
            if (count == 0) {
                return failed("no CUDA device found (NVIDIA driver for CUDA " + formatVersion(version) + " is installed, but it reports 0 GPUs)", version);
            }
            List<Gpu> gpus = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int[] cc = d.computeCapability(i);
                gpus.add(new Gpu(i, d.deviceName(i), d.totalMemory(i), cc[0], cc[1]));
            }
            return new Result(null, version, gpus);
        } catch (CudaError e) {
            return failed(reason(e, version), version);
        } catch (LinkageError e) {
            return failed(reason(e), version);
        } catch (Throwable e) {
            return failed("CUDA probe failed unexpectedly: " + firstLine(String.valueOf(e)), version);
        }
    }

    private static Result failed(String reason, int version) {
        return new Result(reason, version, List.of());
    }

    /** One actionable line for a driver status. */
    static String reason(CudaError e, int version) {
        return switch (e.status()) {
            case 100 -> "no CUDA device found (" + e.getMessage() + ")";
            case 35 -> "the NVIDIA driver is too old for JCuda 12.6 (" + e.getMessage() + "); install a newer NVIDIA driver (CUDA 12.6 needs R560 or later)";
            case 34 -> "libcuda.so.1 is the CUDA toolkit's stub, not a driver (" + e.getMessage() + "); install the NVIDIA driver";
            case 46 -> "the GPU is busy or in exclusive-process mode (" + e.getMessage() + "); check nvidia-smi";
            case 802, 803, 804 -> "the NVIDIA driver and kernel module do not match or are not ready (" + e.getMessage()
                    + "); reboot or reinstall the driver";
            default -> "the CUDA driver reported an error (" + e.getMessage() + ")"
                    + (version > 0 ? " with driver for CUDA " + formatVersion(version) : "");
        };
    }

    /**
     * One actionable line for a failed native load. Without a driver JCuda's message is many
     * lines of nested stack traces; the line naming {@code libcuda} is the one that matters.
     */
    static String reason(LinkageError e) {
        String message = String.valueOf(e.getMessage());
        for (String line : message.split("\\R")) {
            int at = line.indexOf("libcuda");
            if (at >= 0) {
                return "no NVIDIA driver: libcuda.so.1 could not be loaded (" + line.substring(at).trim()
                        + "); install the NVIDIA driver to use a GPU";
            }
        }
        if (e instanceof NoClassDefFoundError) {
            return "JCuda's driver bindings could not be initialized (" + firstLine(message)
                    + "); an earlier load failed, most likely no NVIDIA driver (libcuda.so.1)";
        }
        return "JCuda's native library could not be loaded (" + firstLine(message) + ")";
    }

    /** {@code 12080 -> "12.8"}, the way {@code nvidia-smi} prints the CUDA version. */
    static String formatVersion(int version) {
        return version / 1000 + "." + (version % 1000) / 10;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
