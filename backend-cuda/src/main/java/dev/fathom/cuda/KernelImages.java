package dev.fathom.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The images of the own kernels' modules ({@code elementwise}, {@code reduce}, {@code gemm}, …)
 * that {@link CudaDevice#launcher} loads: the machine code shipped under
 * {@code dev/fathom/cuda/sass/} for the GPUs it runs on (8.x and 9.0), else, or when the driver
 * refuses it, the PTX shipped under {@code dev/fathom/cuda/ptx/}, or,
 * when the driver is too old to JIT that PTX or {@code -Dfathom.cuda.kernels=nvrtc} asks for it
 * ({@link CudaPlan.KernelSource#NVRTC}), the CUDA C
 * shipped under {@code dev/fathom/cuda/src/} compiled at run time to machine code for the GPU. The
 * two come from the same sources, so both paths run the same kernels.
 */
final class KernelImages {
    static final String PTX_DIR = "/dev/fathom/cuda/ptx/";
    /** sm_80 and sm_90 machine code of each module (scripts/build-kernels), for the GPUs it runs on. */
    static final String SASS_DIR = "/dev/fathom/cuda/sass/";
    static final String SOURCE_DIR = "/dev/fathom/cuda/src/";
    private static final Pattern INCLUDE = Pattern.compile("(?m)^#include \"([\\w.]+)\"");

    /** Compiles one CUDA C translation unit to a module image, machine code for the GPU (NVRTC on a GPU machine; a fake in tests). */
    interface Compiler {
        /**
         * @param name the source's file name, for messages
         * @param headers the quoted includes the source needs, by name
         * @param options e.g. {@code --gpu-architecture=sm_90}
         */
        byte[] compile(String name, String source, Map<String, String> headers, List<String> options);
    }

    private final CudaPlan.KernelSource source;
    private final int ccMajor;
    private final int ccMinor;
    private final Compiler compiler;
    private final Map<String, byte[]> images = new ConcurrentHashMap<>();
    private final Map<String, byte[]> sassImages = new ConcurrentHashMap<>();

    /**
     * @param ccMajor the GPU's compute capability, which NVRTC compiles for
     * @param compiler used only when {@code source} is {@link CudaPlan.KernelSource#NVRTC}
     */
    KernelImages(CudaPlan.KernelSource source, int ccMajor, int ccMinor, Compiler compiler) {
        if (source == CudaPlan.KernelSource.NONE) {
            throw new IllegalArgumentException("cuda: no kernel source (the driver cannot JIT the shipped PTX and NVRTC did"
                    + " not load, or -D" + CudaPlan.KERNELS_PROPERTY + " asked for what is not there): `fathom devices` says which");
        }
        this.source = source;
        this.ccMajor = ccMajor;
        this.ccMinor = ccMinor;
        this.compiler = compiler;
    }

    private static final KernelImages SHIPPED = new KernelImages(CudaPlan.KernelSource.SHIPPED_PTX, 0, 0, null);

    /** The shipped PTX, for a driver that can JIT it (every use shares one cache). */
    static KernelImages shipped() {
        return SHIPPED;
    }

    /** Per compute capability with shipped machine code: the shipped images, sharing one cache per architecture. */
    private static final Map<Integer, KernelImages> SHIPPED_WITH_SASS = new ConcurrentHashMap<>();

    /** The images for {@code plan} on a GPU of compute capability {@code ccMajor.ccMinor}. */
    static KernelImages forPlan(CudaPlan plan, int ccMajor, int ccMinor) {
        if (plan.kernelSource() != CudaPlan.KernelSource.SHIPPED_PTX) {
            return new KernelImages(plan.kernelSource(), ccMajor, ccMinor, new NvrtcCompiler());
        }
        return shipsSassFor(ccMajor, ccMinor) ? SHIPPED_WITH_SASS.computeIfAbsent(ccMajor * 10 + ccMinor,
                cc -> new KernelImages(CudaPlan.KernelSource.SHIPPED_PTX, ccMajor, ccMinor, null)) : SHIPPED;
    }

    /**
     * Whether the shipped machine code runs on compute capability {@code major.minor}: sm_80 code
     * runs on every 8.x GPU (Ampere, Ada), sm_90 code on 9.0 (Hopper); other GPUs (Turing,
     * Blackwell) take the PTX.
     */
    static boolean shipsSassFor(int major, int minor) {
        return major == 8 || major == 9 && minor == 0;
    }

    /**
     * The shipped machine code of module {@code name} (a compressed fatbin with sm_80 and sm_90
     * code) when it runs on this instance's GPU, else null. {@link CudaDevice#launcher} tries it
     * before {@link #image}, which the driver then compiles instead if it refuses the fatbin.
     */
    byte[] sass(String name) {
        if (source != CudaPlan.KernelSource.SHIPPED_PTX || !shipsSassFor(ccMajor, ccMinor)) {
            return null;
        }
        byte[] fatbin = sassImages.computeIfAbsent(name, KernelImages::readSass);
        return fatbin.length == 0 ? null : fatbin;
    }

    /**
     * Whether a module loaded from these images has its kernels' {@code fm_grid_dependency} (code
     * compiled for sm_90 or later), which a programmatic launch needs: the shipped machine code on a
     * 9.0 GPU ({@code fromSass}), or NVRTC's code for this GPU from 9.0 on. The shipped PTX is for
     * compute_75, where it compiles to nothing.
     */
    boolean waitsForPredecessor(boolean fromSass) {
        return ccMajor >= 9 && (fromSass || source == CudaPlan.KernelSource.NVRTC);
    }

    /** The module's shipped fatbin, or no bytes when the build shipped none for it. */
    private static byte[] readSass(String name) {
        String path = SASS_DIR + name + ".fatbin";
        try (InputStream in = KernelImages.class.getResourceAsStream(path)) {
            return in == null ? new byte[0] : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cuda: reading kernel resource " + path, e);
        }
    }

    /** The image of module {@code name} (compiled once per instance when NVRTC serves). */
    byte[] image(String name) {
        return images.computeIfAbsent(name, this::load);
    }

    private byte[] load(String name) {
        if (source == CudaPlan.KernelSource.SHIPPED_PTX) {
            return resource(PTX_DIR + name + ".ptx");
        }
        String file = name + ".cu";
        String text = new String(resource(SOURCE_DIR + file), StandardCharsets.UTF_8);
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        addIncludes(text, headers);
        // The options nvcc gets in scripts/build-kernels, but machine code for this GPU (see NvrtcCompiler: not PTX,
        // which a driver older than NVRTC could not compile).
        return compiler.compile(file, text, headers, List.of("--gpu-architecture=sm_" + ccMajor + ccMinor, "-std=c++17"));
    }

    /** The quoted includes of {@code text} and, recursively, of those headers, each once. */
    private static void addIncludes(String text, Map<String, String> headers) {
        Matcher m = INCLUDE.matcher(text);
        while (m.find()) {
            String name = m.group(1);
            if (!headers.containsKey(name)) {
                String header = new String(resource(SOURCE_DIR + name), StandardCharsets.UTF_8);
                headers.put(name, header);
                addIncludes(header, headers);
            }
        }
    }

    static byte[] resource(String path) {
        try (InputStream in = KernelImages.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("cuda: the kernel module " + path + " is not on the class path; the"
                        + " backend-cuda jar is incomplete (run scripts/build-kernels)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cuda: reading kernel resource " + path, e);
        }
    }
}
