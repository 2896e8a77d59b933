// Fused scaled-dot-product attention, forward then backward (Kernels.attentionForward,
// Kernels.attentionBackward): FlashAttention-2 (Dao 2023) without the [lq, lk] score matrix.
//
// Layout (dev.fathom.spi.AttentionGeometry): every operand contiguous from its element offset;
// q [bh, lq, d], k [bh, lk, d], v [bh, lk, dv], out and grad_out [bh, lq, dv], lse [bh, lq].
// s_ij = scale·q_i·k_j; with causal, row i sees keys j <= i + lk - lq (queries aligned with the
// last keys); a row that sees none gets out 0, lse -inf and zero gradients.
//
// Launch (dev.fathom.cuda.CudaAttention.Plan): blocks of `tile` threads, one thread per query row
// (forward, dq) or per key (dk/dv); block tasks grid-strided. Dynamic shared memory holds the
// thread-owned rows at a stride of width + 1 (so the threads of a warp hit different banks) and
// the tile of the other side's rows, read by every thread at the same address (a broadcast):
//   attention_forward_<t>          per (head, query tile): q and acc rows | K and V tile
//   attention_backward_dq_<t>      per (head, query tile): q, dO and dq rows | K and V tile
//   attention_backward_dkdv_<t>    per (head, key tile): k, v, dk and dv rows | q, dO tile, lse, D
// The forward keeps a running max per row, rescaling l and acc when a key raises it (online
// softmax, Milakov & Gimelshein 2018). The backward recomputes p = exp(s - lse) with
// D_i = rowsum(dO_i∘O_i); dq, dk and dv each have one owning thread, so there are no atomics and
// every result is deterministic.
// Entries (extern "C", t = f32 float | f64 double; pointers come with element offsets):
//   attention_forward_<t>(q, k, v, out, lse, int bh, int lq, int lk, int d, int dv, double scale, int causal)
//   attention_backward_dq_<t>(q, k, v, out, grad_out, lse, grad_q, bh, lq, lk, d, dv, scale, causal)
//   attention_backward_dkdv_<t>(q, k, v, out, grad_out, lse, grad_k, grad_v, bh, lq, lk, d, dv, scale, causal)
#include "fathom_kernels.cuh"

typedef long long i64;

template <typename T> __device__ __forceinline__ T att_neg_inf() {
    T z = 0;
    return T(-1) / z;
}

// Keys query row i sees: [0, visible).
__device__ __forceinline__ int att_visible(int i, int lq, int lk, int causal) {
    if (!causal) return lk;
    long long n = (long long)i + lk - lq + 1;
    return n < 0 ? 0 : n > lk ? lk : (int)n;
}

template <typename T> __device__ __forceinline__ T att_dot(const T* a, const T* b, int n) {
    T s = 0;
    for (int c = 0; c < n; ++c) s += a[c] * b[c];
    return s;
}

// Copies rows [r0, r0 + rows) of a [*, width] matrix into shared at `stride`, zero rows past `limit`.
template <typename T>
__device__ __forceinline__ void att_load(T* dst, int stride, const T* src, int r0, int rows, int limit, int width) {
    for (int x = threadIdx.x; x < rows * width; x += blockDim.x) {
        int r = x / width, c = x % width;
        dst[r * stride + c] = r0 + r < limit ? src[(i64)(r0 + r) * width + c] : T(0);
    }
}

template <typename T>
__device__ void attention_forward(const T* q, i64 q_off, const T* k, i64 k_off, const T* v, i64 v_off, T* out, i64 out_off,
                                  T* lse, i64 lse_off, int bh, int lq, int lk, int d, int dv, double scale_, int causal) {
    FATHOM_DYNAMIC_SHARED(T, smem);
    const int tile = blockDim.x, t = threadIdx.x;
    T* sq = smem;                      // [tile][d + 1]
    T* sacc = sq + tile * (d + 1);     // [tile][dv + 1]
    T* sk = sacc + tile * (dv + 1);    // [tile][d]
    T* sv = sk + tile * d;             // [tile][dv]
    const T scale = (T)scale_;
    const i64 qtiles = (lq + tile - 1) / tile;
    for (i64 task = blockIdx.x; task < bh * qtiles; task += gridDim.x) {
        const i64 h = task / qtiles;
        const int i0 = (int)(task % qtiles) * tile, i = i0 + t;
        const int nk = i < lq ? att_visible(i, lq, lk, causal) : 0;
        const int last = (i0 + tile < lq ? i0 + tile : lq) - 1;
        const int block_keys = att_visible(last, lq, lk, causal);  // the most any row of the block sees
        __syncthreads();  // the previous task's reads of shared memory are done
        att_load(sq, d + 1, q + q_off + h * lq * d, i0, tile, lq, d);
        T* acc = sacc + t * (dv + 1);
        for (int c = 0; c < dv; ++c) acc[c] = 0;
        T m = att_neg_inf<T>(), l = 0;
        for (int j0 = 0; j0 < block_keys; j0 += tile) {
            __syncthreads();
            att_load(sk, d, k + k_off + h * lk * d, j0, tile, lk, d);
            att_load(sv, dv, v + v_off + h * lk * dv, j0, tile, lk, dv);
            __syncthreads();
            const int n = nk - j0 < tile ? nk - j0 : tile;
            for (int jj = 0; jj < n; ++jj) {
                T s = scale * att_dot(sq + t * (d + 1), sk + jj * d, d);
                if (s > m) {
                    T alpha = fm_exp(m - s);  // 0 while m = -inf
                    l *= alpha;
                    for (int c = 0; c < dv; ++c) acc[c] *= alpha;
                    m = s;
                }
                if (m == att_neg_inf<T>()) continue;  // every score so far is -inf: nothing to add
                T p = fm_exp(s - m);
                l += p;
                for (int c = 0; c < dv; ++c) acc[c] += p * sv[jj * dv + c];
            }
        }
        if (i < lq) {
            const i64 row = h * lq + i;
            T* o = out + out_off + row * dv;
            if (l == T(0)) {
                for (int c = 0; c < dv; ++c) o[c] = 0;
                lse[lse_off + row] = att_neg_inf<T>();
            } else {
                T inv = T(1) / l;
                for (int c = 0; c < dv; ++c) o[c] = acc[c] * inv;
                lse[lse_off + row] = m + fm_log(l);
            }
        }
    }
}

template <typename T>
__device__ void attention_backward_dq(const T* q, i64 q_off, const T* k, i64 k_off, const T* v, i64 v_off, const T* out,
                                      i64 out_off, const T* go, i64 go_off, const T* lse, i64 lse_off, T* gq, i64 gq_off, int bh,
                                      int lq, int lk, int d, int dv, double scale_, int causal) {
    FATHOM_DYNAMIC_SHARED(T, smem);
    const int tile = blockDim.x, t = threadIdx.x;
    T* sq = smem;                     // [tile][d + 1]
    T* sgo = sq + tile * (d + 1);     // [tile][dv + 1]
    T* sdq = sgo + tile * (dv + 1);   // [tile][d + 1]
    T* sk = sdq + tile * (d + 1);     // [tile][d]
    T* sv = sk + tile * d;            // [tile][dv]
    const T scale = (T)scale_;
    const i64 qtiles = (lq + tile - 1) / tile;
    for (i64 task = blockIdx.x; task < bh * qtiles; task += gridDim.x) {
        const i64 h = task / qtiles;
        const int i0 = (int)(task % qtiles) * tile, i = i0 + t;
        const i64 row = h * lq + i;
        const T row_lse = i < lq ? lse[lse_off + row] : att_neg_inf<T>();
        const int nk = i < lq && row_lse != att_neg_inf<T>() ? att_visible(i, lq, lk, causal) : 0;
        const int last = (i0 + tile < lq ? i0 + tile : lq) - 1;
        const int block_keys = att_visible(last, lq, lk, causal);
        __syncthreads();
        att_load(sq, d + 1, q + q_off + h * lq * d, i0, tile, lq, d);
        att_load(sgo, dv + 1, go + go_off + h * lq * dv, i0, tile, lq, dv);
        T* dq = sdq + t * (d + 1);
        for (int c = 0; c < d; ++c) dq[c] = 0;
        __syncthreads();
        const T* my_go = sgo + t * (dv + 1);
        const T di = i < lq ? att_dot(my_go, out + out_off + row * dv, dv) : T(0);
        for (int j0 = 0; j0 < block_keys; j0 += tile) {
            __syncthreads();
            att_load(sk, d, k + k_off + h * lk * d, j0, tile, lk, d);
            att_load(sv, dv, v + v_off + h * lk * dv, j0, tile, lk, dv);
            __syncthreads();
            const int n = nk - j0 < tile ? nk - j0 : tile;
            for (int jj = 0; jj < n; ++jj) {
                T p = fm_exp(scale * att_dot(sq + t * (d + 1), sk + jj * d, d) - row_lse);
                T ds = scale * p * (att_dot(my_go, sv + jj * dv, dv) - di);
                for (int c = 0; c < d; ++c) dq[c] += ds * sk[jj * d + c];
            }
        }
        if (i < lq) {
            for (int c = 0; c < d; ++c) gq[gq_off + row * d + c] = dq[c];
        }
    }
}

template <typename T>
__device__ void attention_backward_dkdv(const T* q, i64 q_off, const T* k, i64 k_off, const T* v, i64 v_off, const T* out,
                                        i64 out_off, const T* go, i64 go_off, const T* lse, i64 lse_off, T* gk, i64 gk_off, T* gv,
                                        i64 gv_off, int bh, int lq, int lk, int d, int dv, double scale_, int causal) {
    FATHOM_DYNAMIC_SHARED(T, smem);
    const int tile = blockDim.x, t = threadIdx.x;
    T* sk = smem;                     // [tile][d + 1]
    T* sv = sk + tile * (d + 1);      // [tile][dv + 1]
    T* sdk = sv + tile * (dv + 1);    // [tile][d + 1]
    T* sdv = sdk + tile * (d + 1);    // [tile][dv + 1]
    T* sq = sdv + tile * (dv + 1);    // [tile][d]
    T* sgo = sq + tile * d;           // [tile][dv]
    T* slse = sgo + tile * dv;        // [tile]
    T* sdi = slse + tile;             // [tile]
    const T scale = (T)scale_;
    const i64 ktiles = (lk + tile - 1) / tile;
    for (i64 task = blockIdx.x; task < bh * ktiles; task += gridDim.x) {
        const i64 h = task / ktiles;
        const int j0 = (int)(task % ktiles) * tile, j = j0 + t;
        __syncthreads();
        att_load(sk, d + 1, k + k_off + h * lk * d, j0, tile, lk, d);
        att_load(sv, dv + 1, v + v_off + h * lk * dv, j0, tile, lk, dv);
        T* dk = sdk + t * (d + 1);
        T* dvr = sdv + t * (dv + 1);
        for (int c = 0; c < d; ++c) dk[c] = 0;
        for (int c = 0; c < dv; ++c) dvr[c] = 0;
        // The first query that sees key j0: i + lk - lq >= j0.
        int first = causal ? j0 - lk + lq : 0;
        first = first < 0 ? 0 : first;
        for (int i0 = first / tile * tile; i0 < lq; i0 += tile) {
            __syncthreads();
            att_load(sq, d, q + q_off + h * lq * d, i0, tile, lq, d);
            att_load(sgo, dv, go + go_off + h * lq * dv, i0, tile, lq, dv);
            for (int r = threadIdx.x; r < tile; r += blockDim.x) {
                const i64 row = h * lq + i0 + r;
                slse[r] = i0 + r < lq ? lse[lse_off + row] : att_neg_inf<T>();
                sdi[r] = i0 + r < lq ? att_dot(go + go_off + row * dv, out + out_off + row * dv, dv) : T(0);
            }
            __syncthreads();
            if (j >= lk) continue;
            const T* my_k = sk + t * (d + 1);
            const T* my_v = sv + t * (dv + 1);
            const int rows = lq - i0 < tile ? lq - i0 : tile;
            for (int r = 0; r < rows; ++r) {
                const int i = i0 + r;
                if (slse[r] == att_neg_inf<T>() || j >= att_visible(i, lq, lk, causal)) continue;
                const T* qi = sq + r * d;
                const T* goi = sgo + r * dv;
                T p = fm_exp(scale * att_dot(qi, my_k, d) - slse[r]);
                T ds = scale * p * (att_dot(goi, my_v, dv) - sdi[r]);
                for (int c = 0; c < dv; ++c) dvr[c] += p * goi[c];
                for (int c = 0; c < d; ++c) dk[c] += ds * qi[c];
            }
        }
        if (j < lk) {
            for (int c = 0; c < d; ++c) gk[gk_off + (h * lk + j) * d + c] = dk[c];
            for (int c = 0; c < dv; ++c) gv[gv_off + (h * lk + j) * dv + c] = dvr[c];
        }
    }
}

#define FATHOM_ATTENTION(t, T)                                                                                         \
    extern "C" __global__ void attention_forward_##t(const T* q, i64 q_off, const T* k, i64 k_off, const T* v,          \
                                                     i64 v_off, T* out, i64 out_off, T* lse, i64 lse_off, int bh,      \
                                                     int lq, int lk, int d, int dv, double scale, int causal) {        \
        attention_forward<T>(q, q_off, k, k_off, v, v_off, out, out_off, lse, lse_off, bh, lq, lk, d, dv, scale,       \
                             causal);                                                                                  \
    }                                                                                                                  \
    extern "C" __global__ void attention_backward_dq_##t(                                                              \
        const T* q, i64 q_off, const T* k, i64 k_off, const T* v, i64 v_off, const T* out, i64 out_off, const T* go,   \
        i64 go_off, const T* lse, i64 lse_off, T* gq, i64 gq_off, int bh, int lq, int lk, int d, int dv, double scale, \
        int causal) {                                                                                                  \
        attention_backward_dq<T>(q, q_off, k, k_off, v, v_off, out, out_off, go, go_off, lse, lse_off, gq, gq_off, bh, \
                                 lq, lk, d, dv, scale, causal);                                                        \
    }                                                                                                                  \
    extern "C" __global__ void attention_backward_dkdv_##t(                                                            \
        const T* q, i64 q_off, const T* k, i64 k_off, const T* v, i64 v_off, const T* out, i64 out_off, const T* go,   \
        i64 go_off, const T* lse, i64 lse_off, T* gk, i64 gk_off, T* gv, i64 gv_off, int bh, int lq, int lk, int d,    \
        int dv, double scale, int causal) {                                                                            \
        attention_backward_dkdv<T>(q, q_off, k, k_off, v, v_off, out, out_off, go, go_off, lse, lse_off, gk, gk_off,   \
                                   gv, gv_off, bh, lq, lk, d, dv, scale, causal);                                      \
    }
FATHOM_ATTENTION(f32, float)
FATHOM_ATTENTION(f64, double)
#undef FATHOM_ATTENTION
