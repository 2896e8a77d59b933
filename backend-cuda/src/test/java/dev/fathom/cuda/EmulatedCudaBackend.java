package dev.fathom.cuda;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.Device;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * The CUDA backend's {@link CudaKernels} on the {@link EmulatedDriver}, as a backend of its own,
 * {@value #NAME}, so that tensor-api's conformance suite runs the whole CUDA stack (kernels' Java
 * side, launcher, allocator, the real kernel sources) in this module's tests without a GPU.
 *
 * <p>Registered only in the test class path ({@code src/test/resources/META-INF/services}, so
 * also in this module's test jar, which models' tests use for their CPU-vs-CUDA parity runs with
 * {@code -Dfathom.cuda.emu.root} set) and named in this module's {@code fathom.test.backends};
 * its negative priority keeps {@code Device.auto()} from ever picking it. Available wherever g++ is (the kernel libraries are
 * built on first use, {@link Emulator#driverModules()}); device memory is
 * {@code -Dfathom.cuda.emu.memory} bytes (default 4 GiB), the total the driver reports;
 * {@code -Dfathom.cuda.emu.profile=FILE} writes launches and time per kernel to FILE at exit;
 * {@code -Dfathom.cuda.emu.dryRun=true} launches nothing ({@link EmulatedDriver#dryRun}), so that
 * JMH's {@code TrainStepBenchmark -p backend=cuda-emu} times the host's own cost of a CUDA step
 * (the benchmarks jar and its lib/, plus this module's test classes, on the class path);
 * {@code -Dfathom.cuda.emu.cudnn=true} routes convolution and batch norm through the reference
 * cuDNN ({@link EmulatedCudnn}).
 *
 * <p>{@link CudaKernels} names its device {@code cuda:N}; tensors must carry {@code cuda-emu:0}
 * so that the tensor layer routes their ops back here, so the kernels are seen through a proxy
 * that answers {@code device()} and forwards every other method (default methods included, so
 * kernels added to the SPI later need nothing here).
 */
public final class EmulatedCudaBackend implements Backend {
    /** The backend's name, and so its devices' type. */
    public static final String NAME = "cuda-emu";
    /** Below the CPU's 0: never chosen by {@code Device.auto()}. */
    static final int PRIORITY = -10;
    static final long DEFAULT_MEMORY = 4L << 30;

    private static Kernels kernels;
    private static EmulatedDriver driver;

    public EmulatedCudaBackend() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Availability availability() {
        return Probed.AVAILABILITY;
    }

    /** Asked once per JVM (it runs {@code g++ --version}). */
    private static final class Probed {
        static final Availability AVAILABILITY = probe();

        private static Availability probe() {
            String reason = Emulator.driverUnavailableReason();
            return reason == null ? Availability.yes("CudaKernels on the emulated CUDA driver (kernels compiled for the CPU by g++)")
                    : Availability.no(NAME + ": " + reason);
        }
    }

    @Override
    public int deviceCount() {
        return availability().available() ? 1 : 0;
    }

    @Override
    public String describe(int index) {
        return NAME + ":" + index + ": CudaKernels on the emulated CUDA driver (the kernel sources compiled for the CPU by g++)";
    }

    @Override
    public Kernels kernels(int index) {
        if (index != 0) {
            throw new IllegalArgumentException(NAME + ": one emulated device, index 0; got " + index);
        }
        return shared();
    }

    /** The emulated driver behind the device, for tests that look at its profile or memory. */
    static synchronized EmulatedDriver driver() {
        shared();
        return driver;
    }

    private static synchronized Kernels shared() {
        if (kernels == null) {
            try {
                driver = new EmulatedDriver(Emulator.driverModules(), Long.getLong("fathom.cuda.emu.memory", DEFAULT_MEMORY));
                if (Boolean.getBoolean("fathom.cuda.emu.dryRun")) {
                    driver.dryRun();
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("building the emulated CUDA driver", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while building the emulated CUDA driver", e);
            }
            CudaDriver timed = KernelProfiler.wrap(EmulatedCudnn.enabled() ? EmulatedCudnn.wrap(driver) : driver,
                    KernelProfiler.requested());
            kernels = renamed(EmulatedCudnn.enabled()
                    ? CudaKernels.open(timed, 0, 0, KernelImages.shipped(), false, true)
                    : CudaKernels.open(timed, 0), new Device(NAME, 0));
            String profile = System.getProperty("fathom.cuda.emu.profile", "");
            if (!profile.isBlank()) {
                EmulatedDriver d = driver;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        java.nio.file.Files.writeString(java.nio.file.Path.of(profile), profileReport(d));
                    } catch (java.io.IOException e) {
                        System.err.println("cuda-emu: cannot write the profile to " + profile + ": " + e);
                    }
                }));
            }
        }
        return kernels;
    }

    /** The kernels by emulated time, most first: what {@code -Dfathom.cuda.emu.profile=FILE} writes at exit. */
    static String profileReport(EmulatedDriver d) {
        StringBuilder out = new StringBuilder("cuda-emu kernel profile (launches, ms):\n");
        d.profile().entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
                .forEach(e -> out.append(String.format("  %-24s %8d %10.1f%n", e.getKey(), e.getValue()[0], e.getValue()[1] / 1e6)));
        return out.toString();
    }

    /** {@code target} answering {@code device()} with {@code device}. */
    static Kernels renamed(Kernels target, Device device) {
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("device") && method.getParameterCount() == 0) {
                return device;
            }
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "EmulatedCuda(" + target + ") as " + device;
                };
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class}, h);
    }
}
