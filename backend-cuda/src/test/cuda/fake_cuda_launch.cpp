// A stand-in for libcuda.so.1's cuLaunchKernel: it records what it was called with, copying each
// parameter's bytes from the pointer table as the driver does (the sizes come from the kernel's
// signature in the real driver; here the test declares them with fake_expect_sizes).
// NativeLaunchTest builds it as a shared library and checks that java.lang.foreign passes the
// function, the geometry, the shared memory, the stream and every parameter's bytes where
// cuLaunchKernel's signature puts them.
#include <cstring>

// cuLaunchKernelEx's structs: cuda.h's own where the toolkit's headers are on the include path
// (NativeLaunchTest adds /usr/local/cuda/include when it is there), so that the layout Java writes
// is checked against NVIDIA's; else a copy of them as cuda.h 13 declares them.
#if __has_include(<cuda.h>)
#include <cuda.h>
#define FAKE_HAS_CUDA_H 1
typedef CUresult FakeResult;
typedef CUfunction FakeFunction;
typedef CUstream FakeStream;
#else
#define FAKE_HAS_CUDA_H 0
typedef int FakeResult;
typedef void* FakeFunction;
typedef void* FakeStream;
typedef struct CUlaunchAttribute_st {
    int id;
    char pad[4];
    union {
        char pad[64];
        int programmaticStreamSerializationAllowed;
    } value;
} CUlaunchAttribute;
typedef struct CUlaunchConfig_st {
    unsigned int gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes;
    FakeStream hStream;
    CUlaunchAttribute* attrs;
    unsigned int numAttrs;
} CUlaunchConfig;
#endif

extern "C" {

static const int MAX_PARAMS = 32;
static long long expected_sizes[MAX_PARAMS];
static int expected_count = 0;
static unsigned char copied[MAX_PARAMS][512];
static void* last_function = nullptr;
static void* last_stream = nullptr;
static unsigned last_dims[7];
static int launches = 0;

void fake_expect_sizes(int n, const long long* sizes) {
    expected_count = n;
    for (int i = 0; i < n; i++) expected_sizes[i] = sizes[i];
}

// CUresult cuLaunchKernel(CUfunction, grid x/y/z, block x/y/z, sharedMemBytes, CUstream, void** kernelParams, void** extra)
FakeResult cuLaunchKernel(FakeFunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                          unsigned shared, FakeStream stream, void** params, void** extra) {
    if (extra != nullptr) return (FakeResult)1;  // CUDA_ERROR_INVALID_VALUE: Fathom never passes "extra"
    if (f == nullptr) return (FakeResult)400;    // CUDA_ERROR_INVALID_HANDLE
    last_function = (void*)f;
    last_stream = (void*)stream;
    unsigned dims[7] = {gx, gy, gz, bx, by, bz, shared};
    std::memcpy(last_dims, dims, sizeof dims);
    for (int i = 0; i < expected_count; i++) std::memcpy(copied[i], params[i], (size_t)expected_sizes[i]);
    launches++;
    return (FakeResult)0;
}

// CUresult cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f, void** kernelParams, void** extra):
// records the config and its attributes, then the rest as cuLaunchKernel.
static int last_attr_count = -1;
static int last_attr_ids[8];
static int last_attr_values[8];
static int ex_launches = 0;

#ifndef FAKE_WITHOUT_EX  // -DFAKE_WITHOUT_EX: a driver older than CUDA 12.0, which has no cuLaunchKernelEx
FakeResult cuLaunchKernelEx(const CUlaunchConfig* config, FakeFunction f, void** params, void** extra) {
    if (config == nullptr || config->numAttrs > 8 || (config->numAttrs > 0 && config->attrs == nullptr)) return (FakeResult)1;
    last_attr_count = (int)config->numAttrs;
    for (unsigned i = 0; i < config->numAttrs; i++) {
        last_attr_ids[i] = (int)config->attrs[i].id;
        last_attr_values[i] = config->attrs[i].value.programmaticStreamSerializationAllowed;
    }
    ex_launches++;
    return cuLaunchKernel(f, config->gridDimX, config->gridDimY, config->gridDimZ, config->blockDimX, config->blockDimY,
                          config->blockDimZ, config->sharedMemBytes, config->hStream, params, extra);
}
#endif

int fake_has_cuda_h() { return FAKE_HAS_CUDA_H; }
int fake_ex_launches() { return ex_launches; }
int fake_last_attr_count() { return last_attr_count; }
int fake_last_attr_id(int i) { return last_attr_ids[i]; }
int fake_last_attr_value(int i) { return last_attr_values[i]; }
int fake_launches() { return launches; }
void* fake_last_function() { return last_function; }
void* fake_last_stream() { return last_stream; }
unsigned fake_last_dim(int i) { return last_dims[i]; }
const unsigned char* fake_param(int i) { return copied[i]; }
}
