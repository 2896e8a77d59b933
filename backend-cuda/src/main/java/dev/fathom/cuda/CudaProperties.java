package dev.fathom.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Every {@code -Dfathom.cuda.*} setting the backend reads, checked together when the plan is made
 * ({@link CudaPlan#decide(int, AvailabilityReasons.PtxIsa, CudaLibraries)}): a value the backend
 * cannot use makes CUDA unavailable, with a reason naming the property, its value and what it
 * takes, before any device is opened, rather than failing every op (and opening a device per
 * retry) later. The classes that read a property after that ({@link KernelLauncher},
 * {@link GemmLaunches}, {@link CudnnOps}) therefore only ever see valid values there.
 *
 * <p>{@value CudaPlan#KERNELS_PROPERTY} is checked
 * by the plan itself, which says what each of its values means; {@value NativeLaunch#PROPERTY}
 * also by the driver probe, which reads it first.
 */
final class CudaProperties {
    private CudaProperties() {
    }

    /** What is wrong with each property {@code get} returns a value for, one sentence each; empty when nothing is. */
    static List<String> problems(UnaryOperator<String> get) {
        List<String> problems = new ArrayList<>();
        check(problems, () -> GemmLaunches.minLargeBlocks(get.apply(GemmLaunches.MIN_LARGE_BLOCKS_PROPERTY)));
        check(problems, () -> CudnnAlgoSearch.parse(get.apply(CudnnAlgoSearch.PROPERTY)));
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
