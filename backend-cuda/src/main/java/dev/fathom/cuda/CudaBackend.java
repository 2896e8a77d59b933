package dev.fathom.cuda;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.spi.Kernels;

import java.util.List;

/**
 * The CUDA backend's provider: {@code "cuda"}, priority 100, so {@code Device.auto()} prefers it
 * whenever it is available.
 *
 * <p>The constructor is trivial and loads no native code. The first {@link #availability()} call
 * (on any instance) probes the driver ({@link DriverProbe}); the answer is cached for the JVM. This build has no CUDA kernels yet
 * (issue 5), so the answer is "not available" even when a driver and GPUs are found; the reason
 * then says what was found and why it is not used.
 */
public final class CudaBackend implements Backend {
    /** Above the CPU's 0: a usable GPU always wins {@code Device.auto()}. */
    static final int PRIORITY = 100;

    /**
     * The probe's answer, computed on first use and shared by every instance: JCuda attempts its
     * native load once per JVM (later attempts only see {@code NoClassDefFoundError}), so the
     * first answer is the only informative one. The holder idiom makes this lazy and thread-safe.
     */
    private static final class Probed {
        static final DriverProbe.Result RESULT = DriverProbe.probe();
        static final Availability AVAILABILITY = availabilityOf(RESULT);
    }

    public CudaBackend() {
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Availability availability() {
        return Probed.AVAILABILITY;
    }

    /** 0 while {@link #availability()} says unavailable, which for now is always. */
    @Override
    public int deviceCount() {
        return Probed.AVAILABILITY.available() ? Probed.RESULT.gpus().size() : 0;
    }

    @Override
    public String describe(int index) {
        List<DriverProbe.Gpu> gpus = Probed.AVAILABILITY.available() ? Probed.RESULT.gpus() : List.of();
        if (index < 0 || index >= gpus.size()) {
            throw new IllegalArgumentException("cuda: device index " + index + " is out of range (" + gpus.size()
                    + " usable device(s): " + Probed.AVAILABILITY.reason() + ")");
        }
        return gpus.get(index).describe();
    }

    @Override
    public Kernels kernels(int index) {
        Availability a = availability();
        throw new IllegalStateException("cuda: no kernels for device " + index + ": " + a.reason());
    }

    /** What a probe result means for this build: never available until the kernels land (issue 5). */
    static Availability availabilityOf(DriverProbe.Result r) {
        return AvailabilityReasons.of(r, AvailabilityReasons.SHIPPED_PTX);
    }
}
