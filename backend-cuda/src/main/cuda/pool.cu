// 2-D max and average pooling, forward and backward, F32 and F64: the own-kernel path of
// Kernels#maxPool2dForward/Backward and #avgPool2dForward/Backward when cuDNN is absent.
//
// Layouts (dev.fathom.spi.Pool2dGeometry): NCHW, every operand contiguous from its offset (in
// elements): x and gradIn (N, C, H, W), y, gradOut and indices (N, C, OH, OW); outputs are
// overwritten. Window (i, j) covers rows i·sH − pH + p·dH (p < KH) and columns j·sW − pW + q·dW
// (q < KW); positions in the padding never count as elements. Average pooling has dilation 1
// (the host checks).
//
// Max pooling: the max of the window's real elements, and its position h·W + w within the input
// plane as an I64 index; ties keep the first position in row-major window order, and a NaN wins
// (the last NaN, since every NaN replaces the current best): the sequential rule of backend-cpu's
// PoolKernels, so both backends pick the same index.
//
// Backward passes run one thread per *input* element, which gathers from the windows that contain
// it (as PyTorch's CUDA max_pool_backward_nchw and avg_pool2d_backward do): each gradient element
// is written once, by one thread, with its terms added in ascending (i, j) order, so the result is
// deterministic and needs no atomics and no zeroing pass; for F32 it is the CPU backend's sum,
// which adds the same terms in the same order. Max backward uses the forward's indices: an output
// (i, j) contributes to the input element its index names, which always lies in window (i, j).
//
// Launch geometry (dev.fathom.cuda.PoolGeometry): 1-D grid-stride, 256-thread blocks, over the
// outputs (forward) or the inputs (backward), as dev.fathom.cuda.LaunchGeometry#forElements.
#include "fathom_kernels.cuh"

// One pooling's shape, as dev.fathom.spi.Pool2dGeometry.
struct PoolShape {
    int n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

// The kernels' shape parameters, in Pool2dGeometry's order.
#define POOL_SHAPE_PARAMS                                                                          \
    int s_n, int s_c, int s_h, int s_w, int s_kh, int s_kw, int s_sh, int s_sw, int s_ph, int s_pw, \
        int s_dh, int s_dw, int s_oh, int s_ow
#define POOL_SHAPE_ARGS {s_n, s_c, s_h, s_w, s_kh, s_kw, s_sh, s_sw, s_ph, s_pw, s_dh, s_dw, s_oh, s_ow}

template <typename T>
__device__ __forceinline__ void max_pool2d_fwd(const T* x, long long x_offset, T* y, long long y_offset,
                                               long long* indices, long long indices_offset, const PoolShape& s) {
    const long long total = (long long)s.n * s.c * s.oh * s.ow;
    const int ohw = s.oh * s.ow;
    FATHOM_GRID_STRIDE(e, total) {
        long long plane = e / ohw;
        int ij = (int)(e - plane * ohw), i = ij / s.ow, j = ij - i * s.ow;
        const T* xp = x + x_offset + plane * s.h * s.w;
        int hs = i * s.sh - s.ph, ws = j * s.sw - s.pw;
        T best = T(0);
        int at = -1;
        for (int p = 0; p < s.kh; ++p) {
            int ih = hs + p * s.dh;
            if (ih < 0 || ih >= s.h) continue;
            for (int q = 0; q < s.kw; ++q) {
                int iw = ws + q * s.dw;
                if (iw < 0 || iw >= s.w) continue;
                T v = xp[ih * s.w + iw];
                // Strictly greater keeps the first of ties; a NaN always replaces the best.
                if (at < 0 || v > best || fm_isnan(v)) {
                    best = v;
                    at = ih * s.w + iw;
                }
            }
        }
        // A window with no real element cannot occur (pad <= kernel/2); -inf and -1 mark it anyway,
        // as the CPU backend does.
        y[y_offset + e] = at < 0 ? -T(1) / T(0) : best;
        indices[indices_offset + e] = at;
    }
}

template <typename T>
__device__ __forceinline__ void max_pool2d_bwd(const T* gy, long long gy_offset, const long long* indices,
                                               long long indices_offset, T* gx, long long gx_offset,
                                               const PoolShape& s) {
    const int hw = s.h * s.w, ohw = s.oh * s.ow;
    const long long total = (long long)s.n * s.c * hw;
    FATHOM_GRID_STRIDE(e, total) {
        long long plane = e / hw;
        int pos = (int)(e - plane * hw), hh = pos / s.w, ww = pos - hh * s.w;
        const long long* ip = indices + indices_offset + plane * ohw;
        const T* gp = gy + gy_offset + plane * ohw;
        T acc = T(0);
        // Descending p gives ascending i = (h + pH − p·dH) / sH: the outputs in row-major order.
        for (int p = s.kh - 1; p >= 0; --p) {
            int ti = hh + s.ph - p * s.dh;
            if (ti < 0) continue;
            int i = ti / s.sh;
            if (i * s.sh != ti || i >= s.oh) continue;
            for (int q = s.kw - 1; q >= 0; --q) {
                int tj = ww + s.pw - q * s.dw;
                if (tj < 0) continue;
                int j = tj / s.sw;
                if (j * s.sw != tj || j >= s.ow) continue;
                if (ip[i * s.ow + j] == pos) acc += gp[i * s.ow + j];
            }
        }
        gx[gx_offset + e] = acc;
    }
}

// The divisor of window (i, j) (backend-cpu's PoolKernels.window, PyTorch's rule): with
// count_include_pad the window clipped to the padded input, else only its real elements.
__device__ __forceinline__ int avg_pool_divisor(const PoolShape& s, int i, int j, int count_include_pad) {
    int hs = i * s.sh - s.ph, ws = j * s.sw - s.pw;
    int he = hs + s.kh < s.h + s.ph ? hs + s.kh : s.h + s.ph;
    int we = ws + s.kw < s.w + s.pw ? ws + s.kw : s.w + s.pw;
    if (count_include_pad) return (he - hs) * (we - ws);
    int h0 = hs > 0 ? hs : 0, w0 = ws > 0 ? ws : 0, h1 = he < s.h ? he : s.h, w1 = we < s.w ? we : s.w;
    return (h1 - h0) * (w1 - w0);
}

template <typename T>
__device__ __forceinline__ void avg_pool2d_fwd(const T* x, long long x_offset, T* y, long long y_offset,
                                               int count_include_pad, const PoolShape& s) {
    const long long total = (long long)s.n * s.c * s.oh * s.ow;
    const int ohw = s.oh * s.ow;
    FATHOM_GRID_STRIDE(e, total) {
        long long plane = e / ohw;
        int ij = (int)(e - plane * ohw), i = ij / s.ow, j = ij - i * s.ow;
        const T* xp = x + x_offset + plane * s.h * s.w;
        int hs = i * s.sh - s.ph, ws = j * s.sw - s.pw;
        int h0 = hs > 0 ? hs : 0, w0 = ws > 0 ? ws : 0;
        int h1 = hs + s.kh < s.h ? hs + s.kh : s.h, w1 = ws + s.kw < s.w ? ws + s.kw : s.w;
        T acc = T(0);
        for (int ih = h0; ih < h1; ++ih)
            for (int iw = w0; iw < w1; ++iw) acc += xp[ih * s.w + iw];
        y[y_offset + e] = acc / (T)avg_pool_divisor(s, i, j, count_include_pad);
    }
}

template <typename T>
__device__ __forceinline__ void avg_pool2d_bwd(const T* gy, long long gy_offset, T* gx, long long gx_offset,
                                               int count_include_pad, const PoolShape& s) {
    const int hw = s.h * s.w, ohw = s.oh * s.ow;
    const long long total = (long long)s.n * s.c * hw;
    FATHOM_GRID_STRIDE(e, total) {
        long long plane = e / hw;
        int pos = (int)(e - plane * hw), hh = pos / s.w, ww = pos - hh * s.w;
        const T* gp = gy + gy_offset + plane * ohw;
        // Windows i with i·sH − pH <= h < i·sH − pH + KH, i.e. i in [ceil((h + pH − KH + 1) / sH), (h + pH) / sH].
        int ti = hh + s.ph - s.kh + 1, tj = ww + s.pw - s.kw + 1;
        int i0 = ti > 0 ? (ti + s.sh - 1) / s.sh : 0, j0 = tj > 0 ? (tj + s.sw - 1) / s.sw : 0;
        int i1 = (hh + s.ph) / s.sh, j1 = (ww + s.pw) / s.sw;
        if (i1 >= s.oh) i1 = s.oh - 1;
        if (j1 >= s.ow) j1 = s.ow - 1;
        T acc = T(0);
        for (int i = i0; i <= i1; ++i)
            for (int j = j0; j <= j1; ++j) acc += gp[i * s.ow + j] / (T)avg_pool_divisor(s, i, j, count_include_pad);
        gx[gx_offset + e] = acc;
    }
}

#define FATHOM_POOL(sfx, T)                                                                          \
    extern "C" __global__ void max_pool2d_fwd_##sfx(const T* __restrict__ x, long long x_offset,       \
                                                    T* __restrict__ y, long long y_offset,             \
                                                    long long* __restrict__ indices,                   \
                                                    long long indices_offset, POOL_SHAPE_PARAMS) {     \
        fm_grid_dependency();                                                                            \
        max_pool2d_fwd<T>(x, x_offset, y, y_offset, indices, indices_offset, PoolShape POOL_SHAPE_ARGS); \
    }                                                                                                \
    extern "C" __global__ void max_pool2d_bwd_##sfx(const T* __restrict__ gy, long long gy_offset,     \
                                                    const long long* __restrict__ indices,             \
                                                    long long indices_offset, T* __restrict__ gx,      \
                                                    long long gx_offset, POOL_SHAPE_PARAMS) {          \
        fm_grid_dependency();                                                                                \
        max_pool2d_bwd<T>(gy, gy_offset, indices, indices_offset, gx, gx_offset, PoolShape POOL_SHAPE_ARGS); \
    }                                                                                                \
    extern "C" __global__ void avg_pool2d_fwd_##sfx(const T* __restrict__ x, long long x_offset,       \
                                                    T* __restrict__ y, long long y_offset,             \
                                                    int count_include_pad, POOL_SHAPE_PARAMS) {        \
        fm_grid_dependency();                                                                          \
        avg_pool2d_fwd<T>(x, x_offset, y, y_offset, count_include_pad, PoolShape POOL_SHAPE_ARGS);     \
    }                                                                                                \
    extern "C" __global__ void avg_pool2d_bwd_##sfx(const T* __restrict__ gy, long long gy_offset,     \
                                                    T* __restrict__ gx, long long gx_offset,           \
                                                    int count_include_pad, POOL_SHAPE_PARAMS) {        \
        fm_grid_dependency();                                                                          \
        avg_pool2d_bwd<T>(gy, gy_offset, gx, gx_offset, count_include_pad, PoolShape POOL_SHAPE_ARGS); \
    }
FATHOM_POOL(f32, float)
FATHOM_POOL(f64, double)
#undef FATHOM_POOL
