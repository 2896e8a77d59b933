package dev.fathom.cpu;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.spi.Kernels;

/**
 * The CPU backend: Java Vector API kernels on Java arrays, one shared set of worker threads. Available
 * whenever the JVM was started with {@code --add-modules jdk.incubator.vector}.
 */
public final class CpuBackend implements Backend {
    private volatile Availability availability;
    private volatile CpuKernels kernels;

    /** Trivial, as the service contract asks; nothing is probed until {@link #availability()}. */
    public CpuBackend() {
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Availability availability() {
        Availability a = availability;
        if (a == null) {
            a = probe();
            availability = a;
        }
        return a;
    }

    private static Availability probe() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Availability.no("the Vector API is missing: start java with --add-modules jdk.incubator.vector");
        }
        try {
            BufferPool.configuredLimit();
            return Availability.yes("Java Vector API, " + VectorF32.L + " F32 lanes, " + Parallel.THREADS + " threads");
        } catch (IllegalArgumentException e) {
            return Availability.no(e.getMessage());   // a setting that does not parse: its message names it
        } catch (ExceptionInInitializerError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return Availability.no(cause instanceof IllegalArgumentException ? cause.getMessage() : "the Vector API failed to initialize: " + cause);
        } catch (Throwable t) {
            return Availability.no("the Vector API failed to initialize: " + t);
        }
    }

    @Override
    public int deviceCount() {
        return availability().available() ? 1 : 0;
    }

    @Override
    public String describe(int index) {
        return Runtime.getRuntime().availableProcessors() + " cores, " + availability().reason();
    }

    @Override
    public Kernels kernels(int index) {
        if (!availability().available()) {
            throw new IllegalStateException("cpu backend unavailable: " + availability().reason());
        }
        CpuKernels k = kernels;
        if (k == null) {
            synchronized (this) {
                if (kernels == null) {
                    kernels = new CpuKernels();
                }
                k = kernels;
            }
        }
        return k;
    }
}
