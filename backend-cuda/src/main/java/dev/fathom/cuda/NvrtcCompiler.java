package dev.fathom.cuda;

import jcuda.nvrtc.JNvrtc;
import jcuda.nvrtc.nvrtcProgram;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@link KernelImages.Compiler} through NVRTC (JNvrtc): used only when {@code libnvrtc} loaded and
 * the driver is too old to JIT the shipped PTX, or {@code -Dfathom.cuda.kernels=nvrtc} asks for it
 * ({@link CudaPlan}). A compile error carries NVRTC's log, which names the file and line.
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
            String[] ptx = new String[1];
            check(name, "nvrtcGetPTX", JNvrtc.nvrtcGetPTX(program, ptx), null);
            return ptx[0].getBytes(StandardCharsets.US_ASCII);
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
