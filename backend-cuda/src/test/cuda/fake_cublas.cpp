// A stand-in for libcublas.so.13 with the six entry points NativeCublas binds, computing on the
// host: "device" pointers are host pointers. NativeCublasTest builds it as a shared library and
// checks that the java.lang.foreign signatures pass every argument where cuBLAS expects it
// (transposes, leading dimensions, batch strides, the scalars by host pointer), against F64 loops.
#include <cstdlib>

struct FakeHandle {
    void* stream;
};

template <typename T>
static int gemm(FakeHandle* h, int transa, int transb, int m, int n, int k, const T* alpha, const T* a, int lda,
                long long stride_a, const T* b, int ldb, long long stride_b, const T* beta, T* c, int ldc,
                long long stride_c, int batch) {
    if (h == nullptr || m < 0 || n < 0 || k < 0 || batch < 0) return 7;
    for (int p = 0; p < batch; p++) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    double av = transa ? a[p * stride_a + i * lda + l] : a[p * stride_a + l * lda + i];
                    double bv = transb ? b[p * stride_b + l * ldb + j] : b[p * stride_b + j * ldb + l];
                    s += av * bv;
                }
                T* out = &c[p * stride_c + j * ldc + i];
                *out = (T)(*alpha * s + (*beta == 0 ? 0.0 : *beta * (double)*out));
            }
        }
    }
    return 0;
}

extern "C" {

static int live_handles = 0;

int cublasCreate_v2(FakeHandle** handle) {
    *handle = new FakeHandle{nullptr};
    live_handles++;
    return 0;
}

// A stream at address 0xBAD is refused with CUBLAS_STATUS_INVALID_VALUE (7), so the test can see
// that a failed set-stream destroys the handle it made.
int cublasSetStream_v2(FakeHandle* handle, void* stream) {
    if (reinterpret_cast<unsigned long>(stream) == 0xBAD) return 7;
    handle->stream = stream;
    return 0;
}

int cublasDestroy_v2(FakeHandle* handle) {
    delete handle;
    live_handles--;
    return 0;
}

int cublasGetProperty(int type, int* value) {
    static const int version[] = {13, 1, 7};
    if (type < 0 || type > 2) return 7;
    *value = version[type];
    return 0;
}

int fake_live_handles() { return live_handles; }

void* fake_stream(FakeHandle* handle) { return handle->stream; }

int cublasSgemmStridedBatched(FakeHandle* h, int transa, int transb, int m, int n, int k, const float* alpha,
                              const float* a, int lda, long long stride_a, const float* b, int ldb, long long stride_b,
                              const float* beta, float* c, int ldc, long long stride_c, int batch) {
    return gemm(h, transa, transb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch);
}

int cublasDgemmStridedBatched(FakeHandle* h, int transa, int transb, int m, int n, int k, const double* alpha,
                              const double* a, int lda, long long stride_a, const double* b, int ldb, long long stride_b,
                              const double* beta, double* c, int ldc, long long stride_c, int batch) {
    return gemm(h, transa, transb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch);
}

}
