package dev.fathom.cuda;

import dev.fathom.spi.Availability;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one-line reasons the CUDA backend gives for not running, from what {@link DriverProbe}
 * found: no driver, no device, a driver too old for the shipped PTX, a library missing. Each
 * says what was found and what to do.
 *
 * <p>PTX is JIT-compiled by the driver, and a driver compiles only the PTX ISA versions of its
 * own CUDA release or older (there is no minor-version compatibility for PTX). The kernels are
 * built by CUDA 13's {@code nvcc}, which writes PTX ISA 9.0 (see notes/cuda-facts.md), so they
 * need a CUDA 13 driver, R580 or later.
 */
final class AvailabilityReasons {

    /** A PTX ISA version, the {@code .version} line of a PTX file. */
    record PtxIsa(int major, int minor) {
        private static final Pattern VERSION = Pattern.compile("(?m)^\\s*\\.version\\s+(\\d+)\\.(\\d+)");

        /** The ISA of a PTX text; {@code null} when it has no {@code .version} line (e.g. a cubin). */
        static PtxIsa parse(String ptx) {
            Matcher m = VERSION.matcher(ptx);
            return m.find() ? new PtxIsa(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))) : null;
        }

        /**
         * The first CUDA release whose driver JITs this ISA, as the driver reports versions
         * (13000 = 13.0). ISA 7.x came with CUDA 11.x, 8.0 to 8.5 with 12.0 to 12.5, 8.6 to 8.8
         * with 12.7 to 12.9 (12.6 kept 8.5), 9.x with 13.x (PTX ISA release notes).
         */
        int minimumCuda() {
            return switch (major) {
                case 7 -> 11000 + 10 * minor;
                case 8 -> minor <= 5 ? 12000 + 10 * minor : 12010 + 10 * minor;
                case 9 -> 13000 + 10 * minor;
                default -> major < 7 ? 10000 : 14000;
            };
        }

        @Override
        public String toString() {
            return major + "." + minor;
        }
    }

    /** The ISA of the PTX this build ships (CUDA 13 {@code nvcc}, {@code -arch=compute_75}). */
    static final PtxIsa SHIPPED_PTX = new PtxIsa(9, 0);

    private AvailabilityReasons() {
    }

    /** The oldest GPUs the shipped PTX targets: compute capability 7.5 (Turing), the lowest nvcc 13 builds. */
    static final int MIN_CC_MAJOR = 7;
    static final int MIN_CC_MINOR = 5;

    /** Whether the kernels run on {@code gpu}. */
    static boolean usable(DriverProbe.Gpu gpu) {
        return gpu.ccMajor() > MIN_CC_MAJOR || (gpu.ccMajor() == MIN_CC_MAJOR && gpu.ccMinor() >= MIN_CC_MINOR);
    }

    /** The GPUs the kernels run on, in driver order; Fathom's {@code cuda:i} is the i-th of them. */
    static java.util.List<DriverProbe.Gpu> usableGpus(DriverProbe.Result r) {
        return r.ok() ? r.gpus().stream().filter(AvailabilityReasons::usable).toList() : java.util.List.of();
    }

    /**
     * Availability for a probe result: a driver new enough for the shipped PTX and at least one GPU
     * of compute capability 7.5 or newer. Older GPUs are skipped (and named in the detail line).
     */
    static Availability of(DriverProbe.Result r, PtxIsa shipped) {
        if (!r.ok()) {
            // No driver, no device, a driver error: DriverProbe already made the one line.
            return Availability.no(r.failure());
        }
        if (shipped != null && r.driverVersion() < shipped.minimumCuda()) {
            return Availability.no(ptxTooNew(shipped, r.driverVersion()));
        }
        java.util.List<DriverProbe.Gpu> usable = usableGpus(r);
        java.util.List<DriverProbe.Gpu> old = r.gpus().stream().filter(g -> !usable(g)).toList();
        String need = "compute capability " + MIN_CC_MAJOR + "." + MIN_CC_MINOR;
        if (usable.isEmpty()) {
            int n = r.gpus().size();
            return Availability.no("CUDA driver " + r.driverVersionString() + " found, but " + (n == 1 ? "its GPU (" : "none of its "
                    + n + " GPUs (") + ccList(old) + ") has " + need + " or newer (Turing), which the shipped kernels need; "
                    + "use a newer GPU");
        }
        String detail = "CUDA driver " + r.driverVersionString() + ", " + usable.size() + (usable.size() == 1 ? " GPU: " : " GPUs: ")
                + usable.stream().map(DriverProbe.Gpu::describe).collect(java.util.stream.Collectors.joining("; "));
        if (!old.isEmpty()) {
            detail += " (skipped, below " + need + ": " + ccList(old) + ")";
        }
        return Availability.yes(detail);
    }

    private static String ccList(java.util.List<DriverProbe.Gpu> gpus) {
        return gpus.stream().map(g -> g.name() + ", compute capability " + g.ccMajor() + "." + g.ccMinor())
                .collect(java.util.stream.Collectors.joining("; "));
    }

    /** The driver (version {@code driverVersion}, 0 when unknown) cannot JIT PTX of ISA {@code isa}. */
    static String ptxTooNew(PtxIsa isa, int driverVersion) {
        PtxIsa shown = isa == null ? SHIPPED_PTX : isa;
        int need = shown.minimumCuda();
        String found = driverVersion > 0 ? "the NVIDIA driver supports CUDA " + DriverProbe.formatVersion(driverVersion)
                : "the NVIDIA driver is too old";
        String branch = minimumDriverBranch(need);
        return found + ", but the shipped kernels are PTX ISA " + shown + ", which needs a driver for CUDA "
                + DriverProbe.formatVersion(need) + " or newer" + (branch == null ? "" : " (NVIDIA driver " + branch + " or later)")
                + "; update the NVIDIA driver";
    }

    /** The driver branch that first shipped CUDA {@code cuda} (e.g. 13000 -> "R580"); null when not in the table. */
    static String minimumDriverBranch(int cuda) {
        return switch (cuda) {
            case 11000 -> "R450";
            case 11080 -> "R520";
            case 12000 -> "R525";
            case 12040 -> "R550";
            case 12060 -> "R560";
            case 12080 -> "R570";
            case 12090 -> "R575";
            case 13000 -> "R580";
            default -> null;
        };
    }

    private static final Pattern SONAME = Pattern.compile("lib[\\w+-]+\\.so(\\.\\d+)*");

    /**
     * An optional library (cuBLAS, cuDNN, NVRTC) did not load: one line naming the library, the
     * shared object the loader could not find, and what serves instead. Not a reason to be
     * unavailable; {@code fathom devices} prints it.
     */
    static String libraryMissing(String library, Throwable failure, String fallback) {
        String message = String.valueOf(failure.getMessage());
        String detail = null;
        for (String line : message.split("\\R")) {
            Matcher m = SONAME.matcher(line);
            // JCuda names its own JNI library first; the line that matters names the NVIDIA library it needs.
            while (m.find()) {
                if (!m.group().startsWith("libJ")) {
                    detail = line.substring(m.start()).trim();
                    break;
                }
            }
            if (detail != null) {
                break;
            }
        }
        if (detail == null) {
            int nl = message.indexOf('\n');
            detail = (nl < 0 ? message : message.substring(0, nl)).trim();
        }
        return library + " not loaded (" + detail + "); " + fallback;
    }
}
