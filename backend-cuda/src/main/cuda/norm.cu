// Layer norm and training-mode batch norm, forward then backward (Kernels.layerNorm,
// Kernels.layerNormBackward, Kernels.batchNorm, Kernels.batchNormBackward).
//
// One shape serves both: x is contiguous from its element offset and viewed as (N, G, S); group g
// normalizes its M = N·S elements x[(k / S)·G·S + g·S + k % S], k < M.
//   layer norm: N = 1, G = rows, S = n  (a group is a row; weight and bias are indexed by k)
//   batch norm: N = batch, G = C, S = product of the spatial dims  (weight and bias indexed by g)
// Statistics are F64 per group, two-pass (mean, then the mean squared deviation: no cancellation
// of E[x²] - E[x]²), sums as in fused_reduce.cuh; mean and rstd/invstd are stored in T.
// Optional operands (weight, bias, gradWeight, gradBias) are null pointers when absent.
//
// Launch (dev.fathom.cuda.FusedLaunchPlan): the forward and gradX kernels run one block per group,
// groups grid-strided, blockDim.x a multiple of 32 (32 for short rows: a warp per row).
// layer_norm_param_grads sums over rows per column: blocks of 32 columns × blockDim.x/32 row lanes,
// tiles grid-strided; each thread sums its rows (Kahan in T), the lanes are folded in order in F64.
// No atomics anywhere, so every result is deterministic.
//
// Entries (extern "C", t = f32 float | f64 double; every pointer comes with its element offset):
//   layer_norm_<t>(x, w, b, out, mean, rstd, i64 rows, i64 n, double eps)
//   layer_norm_backward_<t>(grad_out, x, mean, rstd, w, grad_x, i64 rows, i64 n)
//   layer_norm_param_grads_<t>(grad_out, x, mean, rstd, grad_w, grad_b, i64 rows, i64 n)
//   batch_norm_<t>(x, w, b, out, mean, invstd, i64 N, i64 C, i64 S, double eps)
//   batch_norm_backward_<t>(grad_out, x, mean, invstd, w, grad_x, grad_w, grad_b, i64 N, i64 C, i64 S)
// Backward: x̂ = (x - mean)·rstd, g = grad_out·w, grad_x = rstd·(g - mean_M(g) - x̂·mean_M(g·x̂));
// grad_w = Σ grad_out·x̂, grad_b = Σ grad_out (over rows for layer norm, over N·S for batch norm).
#include "fathom_kernels.cuh"
#include "fused_reduce.cuh"

typedef long long i64;

// A thread's walk over the elements k = k0, k0 + dk, ... (k < M = N·S) of group g in the (N, G, S)
// view, as k = q·S + s, stepping (q, s) with a carry instead of dividing per element (64-bit
// division is a long instruction sequence on a GPU). Done when q reaches N.
struct GroupWalk {
    i64 q, s, dq, ds, S, GS, base;
    __device__ __forceinline__ GroupWalk(i64 k0, i64 dk, i64 g, i64 N, i64 G, i64 S_) : S(S_), GS(G * S_), base(g * S_) {
        if (S == 0) {  // no elements
            q = N;
            s = dq = ds = 0;
            return;
        }
        q = k0 / S;
        s = k0 - q * S;
        dq = dk / S;
        ds = dk - dq * S;
    }
    __device__ __forceinline__ i64 index() const { return q * GS + base + s; }
    __device__ __forceinline__ void next() {
        s += ds;
        q += dq;
        if (s >= S) {
            s -= S;
            ++q;
        }
    }
};

// The walk of this thread over group g: for (FATHOM_GROUP_WALK(it, g, N, G, S)) { ... it.index() ... }
#define FATHOM_GROUP_WALK(w, g, N, G, S) GroupWalk w(threadIdx.x, blockDim.x, g, N, G, S); w.q < (N); w.next()

template <typename T> __device__ __forceinline__ T opt(const T* p, i64 off, i64 i, T absent) {
    return p ? p[off + i] : absent;
}

// per_channel: weight/bias indexed by the group (batch norm), else by s (layer norm: N = 1, so k = s).
template <typename T>
__device__ void norm_forward(const T* x, i64 x_off, const T* w, i64 w_off, const T* b, i64 b_off, T* out, i64 out_off,
                             T* mean, i64 mean_off, T* rstd, i64 rstd_off, i64 N, i64 G, i64 S, double eps,
                             bool per_channel) {
    const i64 M = N * S;
    for (i64 g = blockIdx.x; g < G; g += gridDim.x) {
        KahanSum<T> s;
        for (FATHOM_GROUP_WALK(it, g, N, G, S)) s.add(x[x_off + it.index()]);
        const T mu = (T)(block_allsum(s.value()) / (double)M);
        KahanSum<T> q;
        for (FATHOM_GROUP_WALK(it, g, N, G, S)) {
            T d = x[x_off + it.index()] - mu;
            q.add(d * d);
        }
        const T r = (T)(1.0 / sqrt(block_allsum(q.value()) / (double)M + eps));
        if (threadIdx.x == 0) {
            mean[mean_off + g] = mu;
            rstd[rstd_off + g] = r;
        }
        for (FATHOM_GROUP_WALK(it, g, N, G, S)) {
            i64 i = it.index(), a = per_channel ? g : it.s;
            out[out_off + i] = (x[x_off + i] - mu) * r * opt(w, w_off, a, T(1)) + opt(b, b_off, a, T(0));
        }
    }
}

// grad_x of one group per block. For batch norm (per_channel) the sums are of grad_out and
// grad_out·x̂ without the weight, which multiplies afterwards (it is constant over the group), and
// those sums are grad_b and grad_w of the channel, written when the pointers are non-null.
template <typename T>
__device__ void norm_backward(const T* go, i64 go_off, const T* x, i64 x_off, const T* mean, i64 mean_off,
                              const T* rstd, i64 rstd_off, const T* w, i64 w_off, T* gx, i64 gx_off, T* gw, i64 gw_off,
                              T* gb, i64 gb_off, i64 N, i64 G, i64 S, bool per_channel) {
    const i64 M = N * S;
    for (i64 g = blockIdx.x; g < G; g += gridDim.x) {
        const T mu = mean[mean_off + g], r = rstd[rstd_off + g];
        const T wc = per_channel ? opt(w, w_off, g, T(1)) : T(1);
        KahanSum<T> sg, sgx;
        for (FATHOM_GROUP_WALK(it, g, N, G, S)) {
            i64 i = it.index();
            T ge = go[go_off + i] * (per_channel ? T(1) : opt(w, w_off, it.s, T(1)));
            sg.add(ge);
            sgx.add(ge * ((x[x_off + i] - mu) * r));
        }
        double a = sg.value(), c = sgx.value();
        block_allsum2(a, c);
        if (per_channel && threadIdx.x == 0) {
            if (gw) gw[gw_off + g] = (T)c;
            if (gb) gb[gb_off + g] = (T)a;
        }
        const T mean_g = (T)(a / (double)M), mean_gx = (T)(c / (double)M);
        for (FATHOM_GROUP_WALK(it, g, N, G, S)) {
            i64 i = it.index();
            T ge = go[go_off + i] * (per_channel ? T(1) : opt(w, w_off, it.s, T(1)));
            T xhat = (x[x_off + i] - mu) * r;
            gx[gx_off + i] = r * wc * (ge - mean_g - xhat * mean_gx);
        }
    }
}

// Layer norm's grad_w[j] = Σ_r grad_out[r, j]·x̂[r, j] and grad_b[j] = Σ_r grad_out[r, j].
template <typename T>
__device__ void layer_norm_param_grads(const T* go, i64 go_off, const T* x, i64 x_off, const T* mean, i64 mean_off,
                                       const T* rstd, i64 rstd_off, T* gw, i64 gw_off, T* gb, i64 gb_off, i64 rows,
                                       i64 n) {
    __shared__ double part_w[32][33];  // [row lane][column]; 33 keeps the lanes' writes off one bank
    __shared__ double part_b[32][33];
    const unsigned col = threadIdx.x % 32, lane = threadIdx.x / 32, lanes = blockDim.x / 32;
    for (i64 tile = blockIdx.x; tile * 32 < n; tile += gridDim.x) {
        const i64 j = tile * 32 + col;
        KahanSum<T> sw, sb;
        if (j < n) {
            for (i64 r = lane; r < rows; r += lanes) {
                T g = go[go_off + r * n + j];
                sw.add(g * ((x[x_off + r * n + j] - mean[mean_off + r]) * rstd[rstd_off + r]));
                sb.add(g);
            }
        }
        part_w[lane][col] = sw.value();
        part_b[lane][col] = sb.value();
        __syncthreads();
        if (lane == 0 && j < n) {
            double tw = 0, tb = 0;
            for (unsigned l = 0; l < lanes; ++l) {
                tw += part_w[l][col];
                tb += part_b[l][col];
            }
            if (gw) gw[gw_off + j] = (T)tw;
            if (gb) gb[gb_off + j] = (T)tb;
        }
        __syncthreads();
    }
}

#define FATHOM_NORM(t, T)                                                                                          \
    extern "C" __global__ void layer_norm_##t(const T* x, i64 x_off, const T* w, i64 w_off, const T* b, i64 b_off,   \
                                              T* out, i64 out_off, T* mean, i64 mean_off, T* rstd, i64 rstd_off,     \
                                              i64 rows, i64 n, double eps) {                                         \
        norm_forward<T>(x, x_off, w, w_off, b, b_off, out, out_off, mean, mean_off, rstd, rstd_off, 1, rows, n, eps, \
                        false);                                                                                      \
    }                                                                                                                \
    extern "C" __global__ void layer_norm_backward_##t(const T* go, i64 go_off, const T* x, i64 x_off, const T* mean, \
                                                       i64 mean_off, const T* rstd, i64 rstd_off, const T* w,        \
                                                       i64 w_off, T* gx, i64 gx_off, i64 rows, i64 n) {              \
        norm_backward<T>(go, go_off, x, x_off, mean, mean_off, rstd, rstd_off, w, w_off, gx, gx_off, nullptr, 0,     \
                         nullptr, 0, 1, rows, n, false);                                                             \
    }                                                                                                                \
    extern "C" __global__ void layer_norm_param_grads_##t(const T* go, i64 go_off, const T* x, i64 x_off,            \
                                                          const T* mean, i64 mean_off, const T* rstd, i64 rstd_off,  \
                                                          T* gw, i64 gw_off, T* gb, i64 gb_off, i64 rows, i64 n) {   \
        layer_norm_param_grads<T>(go, go_off, x, x_off, mean, mean_off, rstd, rstd_off, gw, gw_off, gb, gb_off,      \
                                  rows, n);                                                                          \
    }                                                                                                                \
    extern "C" __global__ void batch_norm_##t(const T* x, i64 x_off, const T* w, i64 w_off, const T* b, i64 b_off,   \
                                              T* out, i64 out_off, T* mean, i64 mean_off, T* invstd,                 \
                                              i64 invstd_off, i64 N, i64 C, i64 S, double eps) {                     \
        norm_forward<T>(x, x_off, w, w_off, b, b_off, out, out_off, mean, mean_off, invstd, invstd_off, N, C, S,     \
                        eps, true);                                                                                  \
    }                                                                                                                \
    extern "C" __global__ void batch_norm_backward_##t(const T* go, i64 go_off, const T* x, i64 x_off, const T* mean, \
                                                       i64 mean_off, const T* invstd, i64 invstd_off, const T* w,    \
                                                       i64 w_off, T* gx, i64 gx_off, T* gw, i64 gw_off, T* gb,       \
                                                       i64 gb_off, i64 N, i64 C, i64 S) {                            \
        norm_backward<T>(go, go_off, x, x_off, mean, mean_off, invstd, invstd_off, w, w_off, gx, gx_off, gw, gw_off, \
                         gb, gb_off, N, C, S, true);                                                                 \
    }
FATHOM_NORM(f32, float)
FATHOM_NORM(f64, double)
#undef FATHOM_NORM
