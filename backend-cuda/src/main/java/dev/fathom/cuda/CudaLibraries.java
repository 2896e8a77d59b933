package dev.fathom.cuda;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The optional NVIDIA libraries beside the driver, each loaded through its JCuda binding once per
 * JVM: cuBLAS (GEMM), cuDNN (convolution) and NVRTC (compiling the shipped CUDA C when the driver
 * cannot JIT the shipped PTX). None is required; a library that does not load is recorded with
 * the reason, and the backend's own kernels serve its ops instead ({@link CudaPlan}).
 *
 * <p>JCuda 12.6's natives link against the CUDA 12 sonames ({@code libcublas.so.12},
 * {@code libcudnn.so.9}, {@code libnvrtc.so.12}; notes/cuda-facts.md), so on a machine with only
 * CUDA 13 libraries they do not load, and the reason says which file was missing. A failed load
 * is a {@link LinkageError} from the binding's class initializer (later touches see
 * {@code NoClassDefFoundError}), so each probe catches {@link Throwable} once and remembers the
 * first answer. cuBLAS has a second way in: where JCublas cannot bind, {@link NativeCublas} calls
 * {@code libcublas.so.13} (or {@code .12}) through {@code java.lang.foreign}.
 */
final class CudaLibraries {

    /** One library: its version when it loaded, else why not. */
    record Library(String name, String version, String reason) {
        static Library loaded(String name, String version) {
            return new Library(name, version, null);
        }

        static Library missing(String name, String reason) {
            return new Library(name, null, reason);
        }

        boolean isLoaded() {
            return version != null;
        }

        /** {@code "cuBLAS 12.6.4"} or {@code "cuBLAS: not loaded (libcublas.so.12: cannot open …)"}. */
        String describe() {
            return isLoaded() ? name + " " + version : name + ": not loaded (" + reason + ")";
        }
    }

    private final Library cublas;
    private final Library cudnn;
    private final Library nvrtc;

    CudaLibraries(Library cublas, Library cudnn, Library nvrtc) {
        this.cublas = cublas;
        this.cudnn = cudnn;
        this.nvrtc = nvrtc;
    }

    /** The libraries as this JVM finds them; probes on first use (about 60 ms per missing library). */
    static CudaLibraries probed() {
        return Probed.LIBRARIES;
    }

    private static final class Probed {
        static final CudaLibraries LIBRARIES = probe(CudaLibraries::cublasVersion, CudaLibraries::cudnnVersion,
                CudaLibraries::nvrtcVersion);
    }

    /** Probes with the given version readers; each may throw anything, which becomes that library's reason. */
    static CudaLibraries probe(Callable<String> cublas, Callable<String> cudnn, Callable<String> nvrtc) {
        return new CudaLibraries(probe("cuBLAS", cublas), probe("cuDNN", cudnn), probe("NVRTC", nvrtc));
    }

    Library cublas() {
        return cublas;
    }

    Library cudnn() {
        return cudnn;
    }

    Library nvrtc() {
        return nvrtc;
    }

    List<Library> all() {
        return List.of(cublas, cudnn, nvrtc);
    }

    private static Library probe(String name, Callable<String> version) {
        try {
            return Library.loaded(name, version.call());
        } catch (LinkageError e) {
            return Library.missing(name, AvailabilityReasons.loadFailure(e));
        } catch (Throwable e) {
            return Library.missing(name, e.getClass().getSimpleName() + ": " + AvailabilityReasons.loadFailure(e));
        }
    }

    /**
     * The {@code java.lang.foreign} binding when the probe chose it (JCublas did not load and
     * {@link NativeCublas} did), else null: {@link JCudaDriverApi} then calls cuBLAS through it.
     */
    static NativeCublas nativeCublas() {
        probed();
        return nativeCublas;
    }

    private static volatile NativeCublas nativeCublas;

    /** JCublas's version; when JCublas cannot bind its soname, that of {@link NativeCublas}, which then serves. */
    private static String cublasVersion() {
        try {
            return jcublasVersion();
        } catch (LinkageError jcublas) {
            NativeCublas binding;
            try {
                binding = NativeCublas.get();
            } catch (LinkageError foreign) {
                throw new UnsatisfiedLinkError("JCublas: " + AvailabilityReasons.loadFailure(jcublas) + "; java.lang.foreign: "
                        + foreign.getMessage());
            }
            String version = binding.version();
            nativeCublas = binding;
            return version + " (" + binding.soname() + " through java.lang.foreign; JCublas 12.6 needs libcublas.so.12)";
        }
    }

    private static String jcublasVersion() {
        jcuda.jcublas.JCublas2.setExceptionsEnabled(false);
        int[] v = new int[1];
        int[] parts = new int[3];
        for (int property = 0; property < 3; property++) {  // MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
            int status = jcuda.jcublas.JCublas2.cublasGetProperty(property, v);
            if (status != 0) {
                throw new IllegalStateException("cublasGetProperty failed with cublasStatus " + status);
            }
            parts[property] = v[0];
        }
        return parts[0] + "." + parts[1] + "." + parts[2];
    }

    private static String cudnnVersion() {
        jcuda.jcudnn.JCudnn.setExceptionsEnabled(false);
        return formatCudnnVersion(jcuda.jcudnn.JCudnn.cudnnGetVersion());
    }

    /** cuDNN 9 encodes its version as {@code major·10000 + minor·100 + patch}; cuDNN 8 as {@code major·1000 + minor·100 + patch}. */
    static String formatCudnnVersion(long v) {
        if (v >= 90000) {
            return String.format(Locale.ROOT, "%d.%d.%d", v / 10000, (v % 10000) / 100, v % 100);
        }
        return String.format(Locale.ROOT, "%d.%d.%d", v / 1000, (v % 1000) / 100, v % 100);
    }

    private static String nvrtcVersion() {
        jcuda.nvrtc.JNvrtc.setExceptionsEnabled(false);
        int[] major = new int[1];
        int[] minor = new int[1];
        int status = jcuda.nvrtc.JNvrtc.nvrtcVersion(major, minor);
        if (status != 0) {
            throw new IllegalStateException("nvrtcVersion failed with nvrtcResult " + status);
        }
        return major[0] + "." + minor[0];
    }
}
