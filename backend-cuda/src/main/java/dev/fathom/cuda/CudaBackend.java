package dev.fathom.cuda;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.spi.Kernels;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The CUDA backend's provider: {@code "cuda"}, priority 100, so {@code Device.auto()} prefers it
 * whenever it is available.
 *
 * <p>The constructor is trivial and loads no native code. The first {@link #availability()} call
 * (on any instance) probes the driver ({@link DriverProbe}); the answer is cached for the JVM. It
 * is "available" when the driver is new enough for the shipped PTX and at least one GPU has
 * compute capability 7.5 or newer ({@link AvailabilityReasons}); device {@code cuda:i} is the
 * i-th such GPU. {@link #kernels(int)} opens that GPU's {@link CudaKernels} on first use and
 * returns the same instance after that, from any thread.
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
        static final Supplier<CudaDriver> DRIVER = once(() -> KernelProfiler.wrap(new JCudaDriverApi(), KernelProfiler.requested()));
        static final DriverProbe.Result RESULT = DriverProbe.probe(DRIVER);
        /** Null when no driver answered. */
        static final CudaPlan PLAN = !RESULT.ok() ? null
                : CudaPlan.decide(RESULT.driverVersion(), AvailabilityReasons.SHIPPED_PTX, CudaLibraries.probed());
        static final Availability AVAILABILITY = availabilityOf(RESULT, PLAN);
        static final List<DriverProbe.Gpu> GPUS = AVAILABILITY.available() ? AvailabilityReasons.usableGpus(RESULT) : List.of();
        static final DeviceTable DEVICES = new DeviceTable(DRIVER, GPUS, PLAN);
    }

    /** {@code s}, called at most once (the probe and the devices share one driver). */
    static <T> Supplier<T> once(Supplier<T> s) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = s.get();
                }
                return value;
            }
        };
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

    /** The usable GPUs (compute capability 7.5 or newer); 0 while {@link #availability()} says unavailable. */
    @Override
    public int deviceCount() {
        return Probed.GPUS.size();
    }

    @Override
    public String describe(int index) {
        List<DriverProbe.Gpu> gpus = Probed.GPUS;
        if (index < 0 || index >= gpus.size()) {
            throw new IllegalArgumentException("cuda: device index " + index + " is out of range (" + gpus.size()
                    + " usable device(s): " + Probed.AVAILABILITY.reason() + ")");
        }
        return gpus.get(index).describe();
    }

    @Override
    public Kernels kernels(int index) {
        Availability a = availability();
        if (!a.available()) {
            throw new IllegalStateException("cuda: no kernels for device " + index + ": " + a.reason());
        }
        return Probed.DEVICES.kernels(index);
    }

    /**
     * The driver's version, which libraries loaded (or why not) and which implementation serves
     * each family of ops; without a driver, only the libraries.
     */
    @Override
    public List<String> details() {
        List<String> lines = new java.util.ArrayList<>();
        if (Probed.RESULT.ok()) {
            lines.add("driver: CUDA " + Probed.RESULT.driverVersionString() + ", JCuda 12.6");
        }
        lines.add("libraries: " + CudaLibraries.probed().all().stream().map(CudaLibraries.Library::describe)
                .collect(java.util.stream.Collectors.joining("; ")));
        if (Probed.PLAN != null) {
            lines.addAll(Probed.PLAN.lines());
        }
        return lines;
    }

    /** What a probe result means for this build, without NVRTC to fall back on (see {@link AvailabilityReasons#of}). */
    static Availability availabilityOf(DriverProbe.Result r) {
        return availabilityOf(r, null);
    }

    /**
     * What a probe result means under {@code plan}: a driver too old for the PTX is usable when NVRTC compiles the
     * kernels, and a plan without kernels (the driver too old and no NVRTC, or {@value CudaPlan#KERNELS_PROPERTY}
     * asking for what is not there) makes the backend unavailable with the plan's reason.
     */
    static Availability availabilityOf(DriverProbe.Result r, CudaPlan plan) {
        if (r.ok() && plan != null && !plan.hasKernels()) {
            return Availability.no(plan.noKernels());
        }
        boolean nvrtc = plan != null && plan.kernelSource() == CudaPlan.KernelSource.NVRTC;
        return AvailabilityReasons.of(r, nvrtc ? null : AvailabilityReasons.SHIPPED_PTX);
    }

    /** The opened devices: one {@link CudaKernels} per usable GPU, opened on first use, thread-safe. */
    static final class DeviceTable {
        private final Supplier<? extends CudaDriver> driver;
        private final List<DriverProbe.Gpu> gpus;
        private final CudaPlan plan;
        private final Map<Integer, CudaKernels> open = new ConcurrentHashMap<>();

        DeviceTable(Supplier<? extends CudaDriver> driver, List<DriverProbe.Gpu> gpus) {
            this(driver, gpus, CudaPlan.ownKernels());
        }

        DeviceTable(Supplier<? extends CudaDriver> driver, List<DriverProbe.Gpu> gpus, CudaPlan plan) {
            this.driver = once(driver);
            this.gpus = List.copyOf(gpus);
            this.plan = plan == null ? CudaPlan.ownKernels() : plan;
        }

        CudaKernels kernels(int index) {
            if (index < 0 || index >= gpus.size()) {
                throw new IllegalArgumentException("cuda: device index " + index + " is out of range: " + gpus.size()
                        + " usable GPU(s); use cuda:0" + (gpus.size() > 1 ? " to cuda:" + (gpus.size() - 1) : ""));
            }
            return open.computeIfAbsent(index, i -> {
                DriverProbe.Gpu gpu = gpus.get(i);
                return CudaKernels.open(driver.get(), gpu.ordinal(), i, KernelImages.forPlan(plan, gpu.ccMajor(), gpu.ccMinor()),
                        plan.cublas(), plan.cudnn());
            });
        }
    }
}
