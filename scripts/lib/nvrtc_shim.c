/*
 * A libnvrtc.so.12 for JCuda 12.6's JNvrtc where only CUDA 13's libnvrtc.so.13 is installed
 * (PyTorch's cu13 wheels), built by scripts/gpu-check for its NVRTC step:
 *
 *   cc -shared -fPIC -O2 -DNVRTC13='"/path/libnvrtc.so.13"' -o libnvrtc.so.12 nvrtc_shim.c \
 *       -Wl,-soname,libnvrtc.so.12 -Wl,--version-script=MAP -ldl
 *
 * with MAP holding `libnvrtc.so.12 { global: nvrtc*; local: *; };`. A symlink by the old name does
 * not load: JNvrtc binds versioned symbols (nvrtcVersion@libnvrtc.so.12) and .so.13 defines only
 * the version libnvrtc.so.13 ("version `libnvrtc.so.12' not found", seen on an H100). Each entry
 * point here, in version libnvrtc.so.12, forwards to the one of the same name in libnvrtc.so.13,
 * whose C API is the same. Every NVRTC argument is an integer or a pointer, six at most, all
 * passed in registers, so one forwarding shape serves every call.
 */
#include <dlfcn.h>
#include <stdio.h>

#ifndef NVRTC13
#define NVRTC13 "libnvrtc.so.13"
#endif

static void *real;

__attribute__((constructor)) static void open_real(void) {
    real = dlopen(NVRTC13, RTLD_NOW | RTLD_LOCAL);
    if (real == NULL) {
        fprintf(stderr, "libnvrtc.so.12 (shim): %s\n", dlerror());
    }
}

typedef long (*fn)(long, long, long, long, long, long);

static fn lookup(const char *name) {
    return real == NULL ? NULL : (fn) dlsym(real, name);
}

/* NVRTC_ERROR_INTERNAL_ERROR when libnvrtc.so.13 or the entry point is missing. */
#define FORWARD(name) \
    long name(long a, long b, long c, long d, long e, long f) { \
        static fn target; \
        if (target == NULL && (target = lookup(#name)) == NULL) return 11; \
        return target(a, b, c, d, e, f); \
    }

FORWARD(nvrtcVersion)
FORWARD(nvrtcGetNumSupportedArchs)
FORWARD(nvrtcGetSupportedArchs)
FORWARD(nvrtcCreateProgram)
FORWARD(nvrtcDestroyProgram)
FORWARD(nvrtcCompileProgram)
FORWARD(nvrtcGetPTXSize)
FORWARD(nvrtcGetPTX)
FORWARD(nvrtcGetCUBINSize)
FORWARD(nvrtcGetCUBIN)
FORWARD(nvrtcGetNVVMSize)
FORWARD(nvrtcGetNVVM)
FORWARD(nvrtcGetLTOIRSize)
FORWARD(nvrtcGetLTOIR)
FORWARD(nvrtcGetOptiXIRSize)
FORWARD(nvrtcGetOptiXIR)
FORWARD(nvrtcGetProgramLogSize)
FORWARD(nvrtcGetProgramLog)
FORWARD(nvrtcAddNameExpression)
FORWARD(nvrtcGetLoweredName)

const char *nvrtcGetErrorString(int result) {
    static const char *(*target)(int);
    if (target == NULL && (real == NULL || (target = (const char *(*)(int)) dlsym(real, "nvrtcGetErrorString")) == NULL)) {
        return "NVRTC error (the libnvrtc.so.12 shim could not load " NVRTC13 ")";
    }
    return target(result);
}
