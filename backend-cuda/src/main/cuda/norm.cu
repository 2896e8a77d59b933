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
//   Split batch norm (few channels, many elements; see "batch norm split" below), ws = double[2·C·P]:
//   batch_norm_partials_<t>(x, ws, N, C, S, P) then batch_norm_apply_<t>(x, w, b, out, mean, invstd, ws, N, C, S, P, eps)
//   batch_norm_backward_partials_<t>(grad_out, x, mean, invstd, ws, N, C, S, P) then
//   batch_norm_backward_apply_<t>(grad_out, x, mean, invstd, w, grad_x, grad_w, grad_b, ws, N, C, S, P)
// Backward: x̂ = (x - mean)·rstd, g = grad_out·w, grad_x = rstd·(g - mean_M(g) - x̂·mean_M(g·x̂));
// grad_w = Σ grad_out·x̂, grad_b = Σ grad_out (over rows for layer norm, over N·S for batch norm).
#include "fathom_kernels.cuh"
#include "fused_reduce.cuh"

typedef long long i64;

// A thread's walk over the elements k = k0, k0 + dk, ... of group g in the (N, G, S) view, as
// k = q·S + s, stepping (q, s) with a carry instead of dividing per element (64-bit division is a
// long instruction sequence on a GPU). The caller stops it at its end (M, or a part's end).
struct GroupWalk {
    i64 k, q, s, dk, dq, ds, S, GS, base;
    __device__ __forceinline__ GroupWalk(i64 k0, i64 dk_, i64 g, i64 G, i64 S_)
        : k(k0), q(0), s(0), dk(dk_), dq(0), ds(0), S(S_), GS(G * S_), base(g * S_) {
        if (S > 0) {  // S = 0: no elements, and the caller's end is 0
            q = k0 / S;
            s = k0 - q * S;
            dq = dk / S;
            ds = dk - dq * S;
        }
    }
    __device__ __forceinline__ i64 index() const { return q * GS + base + s; }
    __device__ __forceinline__ void next() {
        k += dk;
        s += ds;
        q += dq;
        if (s >= S) {
            s -= S;
            ++q;
        }
    }
};

// This thread's walk over elements [lo, hi) of group g: for (FATHOM_GROUP_WALK(it, g, lo, hi)) { it.index() }
// (G and S are those of the enclosing kernel.)
#define FATHOM_GROUP_WALK(w, g, lo, hi) GroupWalk w((lo) + threadIdx.x, blockDim.x, g, G, S); w.k < (hi); w.next()

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
        for (FATHOM_GROUP_WALK(it, g, 0, M)) s.add(x[x_off + it.index()]);
        const T mu = (T)(block_allsum(s.value()) / (double)M);
        KahanSum<T> q;
        for (FATHOM_GROUP_WALK(it, g, 0, M)) {
            T d = x[x_off + it.index()] - mu;
            q.add(d * d);
        }
        const T r = (T)(1.0 / sqrt(block_allsum(q.value()) / (double)M + eps));
        if (threadIdx.x == 0) {
            mean[mean_off + g] = mu;
            rstd[rstd_off + g] = r;
        }
        for (FATHOM_GROUP_WALK(it, g, 0, M)) {
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
        for (FATHOM_GROUP_WALK(it, g, 0, M)) {
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
        for (FATHOM_GROUP_WALK(it, g, 0, M)) {
            i64 i = it.index();
            T ge = go[go_off + i] * (per_channel ? T(1) : opt(w, w_off, it.s, T(1)));
            T xhat = (x[x_off + i] - mu) * r;
            gx[gx_off + i] = r * wc * (ge - mean_g - xhat * mean_gx);
        }
    }
}

// ---- batch norm split into P parts per channel ----------------------------------------------
// For few channels with many elements (C blocks would leave most of the GPU idle): block task
// t = c·P + p covers elements [p·M/P, (p+1)·M/P) of channel c. The *_partials kernels write two
// F64 numbers per task to ws (2·C·P doubles, from the host's allocator); the *_apply kernels
// combine a channel's P partials in part order (every thread the same way, so the same bits)
// and then write their part. Two launches in stream order, no atomics: deterministic.

__device__ __forceinline__ i64 part_lo(i64 p, i64 P, i64 M) { return p * M / P; }

// Chan, Golub & LeVeque 1979 ("Updating formulae and a pairwise algorithm for computing sample
// variances"): merges the parts' (mean, M2) of channel c, in part order, into the channel's.
__device__ __forceinline__ void chan_combine(const double* ws, i64 c, i64 P, i64 M, double& mean, double& m2) {
    double n = 0;
    mean = 0;
    m2 = 0;
    for (i64 p = 0; p < P; ++p) {
        double nb = (double)(part_lo(p + 1, P, M) - part_lo(p, P, M));
        if (nb == 0) continue;
        double mb = ws[2 * (c * P + p)], m2b = ws[2 * (c * P + p) + 1];
        double tot = n + nb, delta = mb - mean;
        mean += delta * nb / tot;
        m2 += m2b + delta * delta * n * nb / tot;
        n = tot;
    }
}

// Per task: the part's mean and M2 = Σ (x - part mean)², two-pass like norm_forward.
template <typename T>
__device__ void batch_norm_partials(const T* x, i64 x_off, double* ws, i64 N, i64 G, i64 S, i64 P) {
    const i64 M = N * S;
    for (i64 t = blockIdx.x; t < G * P; t += gridDim.x) {
        const i64 g = t / P, p = t - g * P, lo = part_lo(p, P, M), hi = part_lo(p + 1, P, M);
        KahanSum<T> s;
        for (FATHOM_GROUP_WALK(it, g, lo, hi)) s.add(x[x_off + it.index()]);
        const double sum = block_allsum(s.value()), cnt = (double)(hi - lo);
        const double mean = hi > lo ? sum / cnt : 0;
        const T mt = (T)mean;
        KahanSum<T> q;
        for (FATHOM_GROUP_WALK(it, g, lo, hi)) {
            T d = x[x_off + it.index()] - mt;
            q.add(d * d);
        }
        // Σ(x - a)² = Σ(x - mean)² + cnt·(mean - a)² for the rounded mean a.
        const double dm = mean - (double)mt, m2 = block_allsum(q.value()) - cnt * dm * dm;
        if (threadIdx.x == 0) {
            ws[2 * t] = mean;
            ws[2 * t + 1] = m2 > 0 ? m2 : 0;
        }
    }
}

template <typename T>
__device__ void batch_norm_apply(const T* x, i64 x_off, const T* w, i64 w_off, const T* b, i64 b_off, T* out, i64 out_off,
                                 T* mean, i64 mean_off, T* invstd, i64 invstd_off, const double* ws, i64 N, i64 G, i64 S,
                                 i64 P, double eps) {
    const i64 M = N * S;
    for (i64 t = blockIdx.x; t < G * P; t += gridDim.x) {
        const i64 g = t / P, p = t - g * P;
        double mu_d, m2;
        chan_combine(ws, g, P, M, mu_d, m2);
        const T mu = (T)mu_d, r = (T)(1.0 / sqrt(m2 / (double)M + eps));
        if (p == 0 && threadIdx.x == 0) {
            mean[mean_off + g] = mu;
            invstd[invstd_off + g] = r;
        }
        const T wc = opt(w, w_off, g, T(1)), bc = opt(b, b_off, g, T(0));
        for (FATHOM_GROUP_WALK(it, g, part_lo(p, P, M), part_lo(p + 1, P, M))) {
            i64 i = it.index();
            out[out_off + i] = (x[x_off + i] - mu) * r * wc + bc;
        }
    }
}

// Per task: Σ grad_out and Σ grad_out·x̂ over the part.
template <typename T>
__device__ void batch_norm_backward_partials(const T* go, i64 go_off, const T* x, i64 x_off, const T* mean, i64 mean_off,
                                             const T* invstd, i64 invstd_off, double* ws, i64 N, i64 G, i64 S, i64 P) {
    const i64 M = N * S;
    for (i64 t = blockIdx.x; t < G * P; t += gridDim.x) {
        const i64 g = t / P, p = t - g * P;
        const T mu = mean[mean_off + g], r = invstd[invstd_off + g];
        KahanSum<T> sg, sgx;
        for (FATHOM_GROUP_WALK(it, g, part_lo(p, P, M), part_lo(p + 1, P, M))) {
            i64 i = it.index();
            T gi = go[go_off + i];
            sg.add(gi);
            sgx.add(gi * ((x[x_off + i] - mu) * r));
        }
        double a = sg.value(), c = sgx.value();
        block_allsum2(a, c);
        if (threadIdx.x == 0) {
            ws[2 * t] = a;
            ws[2 * t + 1] = c;
        }
    }
}

template <typename T>
__device__ void batch_norm_backward_apply(const T* go, i64 go_off, const T* x, i64 x_off, const T* mean, i64 mean_off,
                                          const T* invstd, i64 invstd_off, const T* w, i64 w_off, T* gx, i64 gx_off, T* gw,
                                          i64 gw_off, T* gb, i64 gb_off, const double* ws, i64 N, i64 G, i64 S, i64 P) {
    const i64 M = N * S;
    for (i64 t = blockIdx.x; t < G * P; t += gridDim.x) {
        const i64 g = t / P, p = t - g * P;
        double a = 0, c = 0;
        for (i64 q = 0; q < P; ++q) {
            a += ws[2 * (g * P + q)];
            c += ws[2 * (g * P + q) + 1];
        }
        if (p == 0 && threadIdx.x == 0) {
            if (gw) gw[gw_off + g] = (T)c;
            if (gb) gb[gb_off + g] = (T)a;
        }
        const T mu = mean[mean_off + g], r = invstd[invstd_off + g], wc = opt(w, w_off, g, T(1));
        const T mean_g = (T)(a / (double)M), mean_gx = (T)(c / (double)M);
        for (FATHOM_GROUP_WALK(it, g, part_lo(p, P, M), part_lo(p + 1, P, M))) {
            i64 i = it.index();
            T xhat = (x[x_off + i] - mu) * r;
            gx[gx_off + i] = r * wc * (go[go_off + i] - mean_g - xhat * mean_gx);
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
        fm_grid_dependency();                                                                                        \
        norm_forward<T>(x, x_off, w, w_off, b, b_off, out, out_off, mean, mean_off, rstd, rstd_off, 1, rows, n, eps, \
                        false);                                                                                      \
    }                                                                                                                \
    extern "C" __global__ void layer_norm_backward_##t(const T* go, i64 go_off, const T* x, i64 x_off, const T* mean, \
                                                       i64 mean_off, const T* rstd, i64 rstd_off, const T* w,        \
                                                       i64 w_off, T* gx, i64 gx_off, i64 rows, i64 n) {              \
        fm_grid_dependency();                                                                                        \
        norm_backward<T>(go, go_off, x, x_off, mean, mean_off, rstd, rstd_off, w, w_off, gx, gx_off, nullptr, 0,     \
                         nullptr, 0, 1, rows, n, false);                                                             \
    }                                                                                                                \
    extern "C" __global__ void layer_norm_param_grads_##t(const T* go, i64 go_off, const T* x, i64 x_off,            \
                                                          const T* mean, i64 mean_off, const T* rstd, i64 rstd_off,  \
                                                          T* gw, i64 gw_off, T* gb, i64 gb_off, i64 rows, i64 n) {   \
        fm_grid_dependency();                                                                                        \
        layer_norm_param_grads<T>(go, go_off, x, x_off, mean, mean_off, rstd, rstd_off, gw, gw_off, gb, gb_off,      \
                                  rows, n);                                                                          \
    }                                                                                                                \
    extern "C" __global__ void batch_norm_##t(const T* x, i64 x_off, const T* w, i64 w_off, const T* b, i64 b_off,   \
                                              T* out, i64 out_off, T* mean, i64 mean_off, T* invstd,                 \
                                              i64 invstd_off, i64 N, i64 C, i64 S, double eps) {                     \
        fm_grid_dependency();                                                                                        \
        norm_forward<T>(x, x_off, w, w_off, b, b_off, out, out_off, mean, mean_off, invstd, invstd_off, N, C, S,     \
                        eps, true);                                                                                  \
    }                                                                                                                \
    extern "C" __global__ void batch_norm_backward_##t(const T* go, i64 go_off, const T* x, i64 x_off, const T* mean, \
                                                       i64 mean_off, const T* invstd, i64 invstd_off, const T* w,    \
                                                       i64 w_off, T* gx, i64 gx_off, T* gw, i64 gw_off, T* gb,       \
                                                       i64 gb_off, i64 N, i64 C, i64 S) {                            \
        fm_grid_dependency();                                                                                        \
        norm_backward<T>(go, go_off, x, x_off, mean, mean_off, invstd, invstd_off, w, w_off, gx, gx_off, gw, gw_off, \
                         gb, gb_off, N, C, S, true);                                                                 \
    }
FATHOM_NORM(f32, float)
FATHOM_NORM(f64, double)
#undef FATHOM_NORM

#define FATHOM_BATCH_NORM_SPLIT(t, T)                                                                              \
    extern "C" __global__ void batch_norm_partials_##t(const T* x, i64 x_off, double* ws, i64 N, i64 C, i64 S, i64 P) {  \
        fm_grid_dependency();                                                                                       \
        batch_norm_partials<T>(x, x_off, ws, N, C, S, P);                                                           \
    }                                                                                                              \
    extern "C" __global__ void batch_norm_apply_##t(const T* x, i64 x_off, const T* w, i64 w_off, const T* b,       \
                                                    i64 b_off, T* out, i64 out_off, T* mean, i64 mean_off,         \
                                                    T* invstd, i64 invstd_off, const double* ws, i64 N, i64 C,     \
                                                    i64 S, i64 P, double eps) {                                    \
        fm_grid_dependency();                                                                                         \
        batch_norm_apply<T>(x, x_off, w, w_off, b, b_off, out, out_off, mean, mean_off, invstd, invstd_off, ws, N, C, \
                            S, P, eps);                                                                            \
    }                                                                                                              \
    extern "C" __global__ void batch_norm_backward_partials_##t(const T* go, i64 go_off, const T* x, i64 x_off,     \
                                                                const T* mean, i64 mean_off, const T* invstd,      \
                                                                i64 invstd_off, double* ws, i64 N, i64 C, i64 S,   \
                                                                i64 P) {                                           \
        fm_grid_dependency();                                                                                       \
        batch_norm_backward_partials<T>(go, go_off, x, x_off, mean, mean_off, invstd, invstd_off, ws, N, C, S, P);  \
    }                                                                                                              \
    extern "C" __global__ void batch_norm_backward_apply_##t(const T* go, i64 go_off, const T* x, i64 x_off,        \
                                                             const T* mean, i64 mean_off, const T* invstd,         \
                                                             i64 invstd_off, const T* w, i64 w_off, T* gx,         \
                                                             i64 gx_off, T* gw, i64 gw_off, T* gb, i64 gb_off,     \
                                                             const double* ws, i64 N, i64 C, i64 S, i64 P) {       \
        fm_grid_dependency();                                                                                        \
        batch_norm_backward_apply<T>(go, go_off, x, x_off, mean, mean_off, invstd, invstd_off, w, w_off, gx, gx_off, \
                                     gw, gw_off, gb, gb_off, ws, N, C, S, P);                                      \
    }
FATHOM_BATCH_NORM_SPLIT(f32, float)
FATHOM_BATCH_NORM_SPLIT(f64, double)
#undef FATHOM_BATCH_NORM_SPLIT
