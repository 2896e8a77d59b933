// Softmax and log-softmax along one axis, forward and backward (Kernels.softmax,
// Kernels.softmaxBackward).
//
// Layout: every operand is contiguous row-major from its own element offset, viewed as
// (outer, n, inner) around the axis of length n. A "row" is one (o, i) pair; its n elements are
// base + j·inner with base = o·n·inner + i, so an inner axis needs no transpose: the kernels walk
// the row with stride `inner`.
//
// Two launch shapes of the same math (dev.fathom.cuda.FusedLaunchPlan picks one):
//   softmax*_block_<t>  one block per row, rows grid-strided; the block's threads stride over the
//                       row and combine with fused_reduce.cuh. For inner = 1 (the last axis) and
//                       for few long rows. blockDim.x a multiple of 32, at most 1024.
//   softmax*_col_<t>    one thread per row (grid-stride over rows). For inner > 1 with many rows:
//                       neighbouring threads take neighbouring i, so every load is coalesced.
// Entries (extern "C", t = f32 float | f64 double):
//   softmax_{block,col}_<t>(const T* x, i64 x_off, T* out, i64 out_off, i64 outer, i64 n, i64 inner, int log)
//     out = exp(x - max) / Σ exp(x - max), or x - max - log Σ exp(x - max) when log != 0.
//     One read pass computes max and sum together (online normalizer, Milakov & Gimelshein 2018),
//     a second writes. NaN anywhere in a row makes the row NaN; an all -inf row is NaN, as the
//     composite exp(x - max(x)) / sum gives.
//   softmax_backward_{block,col}_<t>(const T* y, i64 y_off, const T* gy, i64 gy_off, T* gx, i64 gx_off,
//                                    i64 outer, i64 n, i64 inner, int log)
//     From the forward output y: softmax gx = y·(gy - Σ gy·y); log-softmax gx = gy - exp(y)·Σ gy.
// Sums: Kahan in T per thread, F64 across threads (fused_reduce.cuh). Rows with n = 0 write nothing.
#include "fathom_kernels.cuh"
#include "fused_reduce.cuh"

typedef long long i64;

template <typename T> __device__ __forceinline__ T fm_neg_inf() {
    T z = 0;
    return T(-1) / z;
}

// A thread's online-normalizer state over the elements it has seen: max m, Σ exp(x - m) compensated.
template <typename T> struct OnlineMax {
    T m;
    KahanSum<T> d;
    __device__ __forceinline__ OnlineMax() : m(fm_neg_inf<T>()) {}
    __device__ __forceinline__ void add(T x) {
        if (x > m) {
            d.scale(fm_exp(m - x));  // exp(-inf) = 0 for the first element
            m = x;
        }
        // x == m (also both -inf) contributes exactly 1; NaN x makes d NaN.
        d.add(x == m ? T(1) : fm_exp(x - m));
    }
};

template <typename T>
__device__ __forceinline__ void softmax_write(const T* x, T* out, i64 n, i64 inner, int log, i64 j0, i64 dj, T m,
                                              double d) {
    if (log) {
        T lse = (T)::log(d);
        for (i64 j = j0; j < n; j += dj) out[j * inner] = (x[j * inner] - m) - lse;
    } else {
        T inv = (T)(1.0 / d);
        for (i64 j = j0; j < n; j += dj) out[j * inner] = fm_exp(x[j * inner] - m) * inv;
    }
}

template <typename T>
__device__ void softmax_block(const T* x, i64 x_off, T* out, i64 out_off, i64 outer, i64 n, i64 inner, int log) {
    for (i64 r = blockIdx.x; r < outer * inner; r += gridDim.x) {
        i64 base = (r / inner) * n * inner + r % inner;
        const T* xr = x + x_off + base;
        OnlineMax<T> st;
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) st.add(xr[j * inner]);
        double m = (double)st.m, d = st.d.value();
        block_softmax_normalizer(m, d);
        softmax_write(xr, out + out_off + base, n, inner, log, threadIdx.x, blockDim.x, (T)m, d);
    }
}

template <typename T>
__device__ void softmax_col(const T* x, i64 x_off, T* out, i64 out_off, i64 outer, i64 n, i64 inner, int log) {
    FATHOM_GRID_STRIDE(r, outer * inner) {
        i64 base = (r / inner) * n * inner + r % inner;
        const T* xr = x + x_off + base;
        OnlineMax<T> st;
        for (i64 j = 0; j < n; ++j) st.add(xr[j * inner]);
        softmax_write(xr, out + out_off + base, n, inner, log, 0, 1, st.m, st.d.value());
    }
}

// A thread's share of the backward's row sum: Σ gy·y (softmax) or Σ gy (log-softmax).
template <typename T>
__device__ __forceinline__ double softmax_backward_sum(const T* y, const T* gy, i64 n, i64 inner, int log, i64 j0,
                                                       i64 dj) {
    KahanSum<T> s;
    for (i64 j = j0; j < n; j += dj) s.add(log ? gy[j * inner] : gy[j * inner] * y[j * inner]);
    return s.value();
}

template <typename T>
__device__ __forceinline__ void softmax_backward_write(const T* y, const T* gy, T* gx, i64 n, i64 inner, int log, i64 j0,
                                                       i64 dj, T s) {
    for (i64 j = j0; j < n; j += dj) {
        i64 k = j * inner;
        gx[k] = log ? gy[k] - fm_exp(y[k]) * s : y[k] * (gy[k] - s);
    }
}

template <typename T>
__device__ void softmax_backward_block(const T* y, i64 y_off, const T* gy, i64 gy_off, T* gx, i64 gx_off, i64 outer,
                                       i64 n, i64 inner, int log) {
    for (i64 r = blockIdx.x; r < outer * inner; r += gridDim.x) {
        i64 base = (r / inner) * n * inner + r % inner;
        const T* yr = y + y_off + base;
        const T* gyr = gy + gy_off + base;
        double s = block_allsum(softmax_backward_sum(yr, gyr, n, inner, log, threadIdx.x, blockDim.x));
        softmax_backward_write(yr, gyr, gx + gx_off + base, n, inner, log, threadIdx.x, blockDim.x, (T)s);
    }
}

template <typename T>
__device__ void softmax_backward_col(const T* y, i64 y_off, const T* gy, i64 gy_off, T* gx, i64 gx_off, i64 outer,
                                     i64 n, i64 inner, int log) {
    FATHOM_GRID_STRIDE(r, outer * inner) {
        i64 base = (r / inner) * n * inner + r % inner;
        const T* yr = y + y_off + base;
        const T* gyr = gy + gy_off + base;
        double s = softmax_backward_sum(yr, gyr, n, inner, log, 0, 1);
        softmax_backward_write(yr, gyr, gx + gx_off + base, n, inner, log, 0, 1, (T)s);
    }
}

#define FATHOM_SOFTMAX(t, T)                                                                                  \
    extern "C" __global__ void softmax_block_##t(const T* x, i64 x_off, T* out, i64 out_off, i64 outer, i64 n, \
                                                 i64 inner, int log) {                                         \
        fm_grid_dependency();                                                                                  \
        softmax_block<T>(x, x_off, out, out_off, outer, n, inner, log);                                        \
    }                                                                                                          \
    extern "C" __global__ void softmax_col_##t(const T* x, i64 x_off, T* out, i64 out_off, i64 outer, i64 n,   \
                                               i64 inner, int log) {                                           \
        fm_grid_dependency();                                                                                  \
        softmax_col<T>(x, x_off, out, out_off, outer, n, inner, log);                                          \
    }                                                                                                          \
    extern "C" __global__ void softmax_backward_block_##t(const T* y, i64 y_off, const T* gy, i64 gy_off,      \
                                                          T* gx, i64 gx_off, i64 outer, i64 n, i64 inner,      \
                                                          int log) {                                           \
        fm_grid_dependency();                                                                                  \
        softmax_backward_block<T>(y, y_off, gy, gy_off, gx, gx_off, outer, n, inner, log);                     \
    }                                                                                                          \
    extern "C" __global__ void softmax_backward_col_##t(const T* y, i64 y_off, const T* gy, i64 gy_off, T* gx, \
                                                        i64 gx_off, i64 outer, i64 n, i64 inner, int log) {    \
        fm_grid_dependency();                                                                                  \
        softmax_backward_col<T>(y, y_off, gy, gy_off, gx, gx_off, outer, n, inner, log);                       \
    }
FATHOM_SOFTMAX(f32, float)
FATHOM_SOFTMAX(f64, double)
#undef FATHOM_SOFTMAX
