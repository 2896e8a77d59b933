// A stand-in for libcuda.so.1's cuLaunchKernel: it records what it was called with, copying each
// parameter's bytes from the pointer table as the driver does (the sizes come from the kernel's
// signature in the real driver; here the test declares them with fake_expect_sizes).
// NativeLaunchTest builds it as a shared library and checks that java.lang.foreign passes the
// function, the geometry, the shared memory, the stream and every parameter's bytes where
// cuLaunchKernel's signature puts them.
#include <cstring>

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
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void* stream, void** params, void** extra) {
    if (extra != nullptr) return 1;  // CUDA_ERROR_INVALID_VALUE: Fathom never passes "extra"
    if (f == nullptr) return 400;    // CUDA_ERROR_INVALID_HANDLE
    last_function = f;
    last_stream = stream;
    unsigned dims[7] = {gx, gy, gz, bx, by, bz, shared};
    std::memcpy(last_dims, dims, sizeof dims);
    for (int i = 0; i < expected_count; i++) std::memcpy(copied[i], params[i], (size_t)expected_sizes[i]);
    launches++;
    return 0;
}

int fake_launches() { return launches; }
void* fake_last_function() { return last_function; }
void* fake_last_stream() { return last_stream; }
unsigned fake_last_dim(int i) { return last_dims[i]; }
const unsigned char* fake_param(int i) { return copied[i]; }
}
