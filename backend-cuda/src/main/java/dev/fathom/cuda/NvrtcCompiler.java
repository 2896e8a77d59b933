package dev.fathom.cuda;

import jcuda.nvrtc.JNvrtc;
import jcuda.nvrtc.nvrtcProgram;

import java.util.List;
import java.util.Map;

/**
 * {@link KernelImages.Compiler} through NVRTC (JNvrtc): used only when {@code libnvrtc} loaded and
 * the driver is too old to JIT the shipped PTX, or {@code -Dfathom.cuda.kernels=nvrtc} asks for it
 * ({@link CudaPlan}). It hands back machine code (a cubin, for the {@code sm_XY} the options name),
 * not PTX: PTX from an NVRTC newer than the driver is refused (CUDA_ERROR_UNSUPPORTED_PTX_VERSION),
 * and a driver older than the shipped PTX is exactly where NVRTC serves, whereas a cubin of the same
 * CUDA major version loads on any driver of that version (CUDA's minor-version compatibility; the
 * plan checks the major versions). A compile error carries NVRTC's log, which names the file and line.
 */
final class NvrtcCompiler implements KernelImages.Compiler {

    @Override
    public byte[] compile(String name, String source, Map<String, String> headers, List<String> options) {
        JNvrtc.setExceptionsEnabled(false);
        nvrtcProgram program = new nvrtcProgram();
        String[] headerSources = headers.values().toArray(String[]::new);
        String[] headerNames = headers.keySet().toArray(String[]::new);
        check(name, "nvrtcCreateProgram", JNvrtc.nvrtcCreateProgram(program, source, name, headerSources.length, headerSources,
                headerNames), null);
        try {
            int status = JNvrtc.nvrtcCompileProgram(program, options.size(), options.toArray(String[]::new));
            if (status != 0) {
                String[] log = new String[1];
                JNvrtc.nvrtcGetProgramLog(program, log);
                check(name, "nvrtcCompileProgram " + options, status, log[0]);
            }
            long[] size = new long[1];
            check(name, "nvrtcGetCUBINSize", JNvrtc.nvrtcGetCUBINSize(program, size), null);
            byte[] cubin = new byte[Math.toIntExact(size[0])];
            check(name, "nvrtcGetCUBIN", JNvrtc.nvrtcGetCUBIN(program, cubin), null);
            return cubin;
        } finally {
            JNvrtc.nvrtcDestroyProgram(program);
        }
    }

    private static void check(String name, String call, int status, String log) {
        if (status != 0) {
            throw new CudaException("cuda: compiling " + name + " at run time: " + call + " failed with "
                    + JNvrtc.nvrtcGetErrorString(status) + " (" + status + ")" + (log == null || log.isBlank() ? "" : ":\n" + log.strip()),
                    "nvrtc " + name, 0);
        }
    }
}
