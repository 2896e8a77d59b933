package dev.fathom.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Every {@code -Dfathom.cuda.*} setting the backend reads, checked together when the plan is made
 * ({@link CudaPlan#decide(int, AvailabilityReasons.PtxIsa, CudaLibraries)}): a value the backend
 * cannot use makes CUDA unavailable, with a reason naming the property, its value and what it
 * takes, before any device is opened, rather than failing every op (and opening a device per
 * retry) later. The classes that read a property after that ({@link KernelLauncher},
 * {@link GemmLaunches}, {@link CudnnOps}) therefore only ever see valid values there.
 *
 * <p>Booleans take {@code true} or {@code false} only (trimmed, any case): {@code off}, {@code 0}
 * or {@code yes} are errors, not a silent default. {@value CudaPlan#KERNELS_PROPERTY} is checked
 * by the plan itself, which says what each of its values means; {@value NativeLaunch#PROPERTY}
 * also by the driver probe, which reads it first.
 */
final class CudaProperties {
    /** {@code -Dfathom.cuda.sync=true}: every launch and library call waits for the GPU. */
    static final String SYNC = "fathom.cuda.sync";
    /** {@code -Dfathom.cuda.pdl}: programmatic dependent launch where the code allows it ({@link #PDL_DEFAULT}). */
    static final String PDL = "fathom.cuda.pdl";
    /**
     * On: an H200 ran the conformance suite with it as without, and a 2^24-float sum in 19.9 µs where
     * ordinary launches took 20.5 (scripts/gpu-check, 2026-11-27).
     */
    static final boolean PDL_DEFAULT = true;

    private CudaProperties() {
    }

    /**
     * The boolean {@code value} of property {@code name}: {@code fallback} when unset, else
     * {@code true} or {@code false}, trimmed and in any case.
     *
     * @throws IllegalArgumentException for anything else, naming the property and its value
     */
    static boolean bool(String name, String value, boolean fallback) {
        if (value == null) {
            return fallback;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("-D" + name + "=" + value + " is not a boolean; use true or false"
                    + " (default " + fallback + ")");
        };
    }

    /**
     * The system property {@code name} as {@link #bool}, read where no plan is at hand (a static
     * default): an invalid value reads as {@code fallback}, because the plan has already refused it
     * wherever the backend is reached through {@link CudaBackend}.
     */
    static boolean flag(String name, boolean fallback) {
        try {
            return bool(name, System.getProperty(name), fallback);
        } catch (IllegalArgumentException e) {
            return fallback;
        }
    }

    /** What is wrong with each property {@code get} returns a value for, one sentence each; empty when nothing is. */
    static List<String> problems(UnaryOperator<String> get) {
        List<String> problems = new ArrayList<>();
        check(problems, () -> bool(CudaPlan.CUBLAS_PROPERTY, get.apply(CudaPlan.CUBLAS_PROPERTY), true));
        check(problems, () -> bool(CudaPlan.CUDNN_PROPERTY, get.apply(CudaPlan.CUDNN_PROPERTY), true));
        check(problems, () -> bool(SYNC, get.apply(SYNC), false));
        check(problems, () -> bool(PDL, get.apply(PDL), PDL_DEFAULT));
        check(problems, () -> GemmLaunches.minLargeBlocks(get.apply(GemmLaunches.MIN_LARGE_BLOCKS_PROPERTY)));
        check(problems, () -> CudnnAlgoSearch.parse(get.apply(CudnnAlgoSearch.PROPERTY)));
        check(problems, () -> KernelProfiler.file(get.apply(KernelProfiler.PROPERTY)));
        String launch = get.apply(NativeLaunch.PROPERTY);
        if (launch != null) {
            check(problems, () -> NativeLaunch.requested(launch));
        }
        return problems;
    }

    private static void check(List<String> problems, Runnable read) {
        try {
            read.run();
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
    }
}
