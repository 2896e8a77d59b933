// Fused scaled-dot-product attention, forward then backward (Kernels.attentionForward,
// Kernels.attentionBackward): FlashAttention-2 (Dao 2023) without the [lq, lk] score matrix.
//
// Layout (dev.fathom.spi.AttentionGeometry): q [b, h, lq, d], k [b, h, lk, d], v [b, h, lk, dv], out
// and grad_out [b, h, lq, dv], the gradients as their operands, each with an element offset and
// strides for the batch, head and row (its row's elements adjacent: a projection's [b, l, h, d]
// read in place, a head shared through stride 0); lse [b·h, lq] contiguous. A kernel walks the
// bh = b·h pairs; pair p is batch p / heads, head p % heads (AttRows::head).
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
// Entries (extern "C", t = f32 float | f64 double; an operand x is the five parameters
// x, x_off, x_sb, x_sh, x_sr: pointer, element offset, batch, head and row strides; lse is lse, lse_off):
//   attention_forward_<t>(q, k, v, out, lse, int bh, int heads, int lq, int lk, int d, int dv, double scale, int causal)
//   attention_backward_dq_<t>(q, k, v, out, grad_out, lse, grad_q, bh, heads, lq, lk, d, dv, scale, causal)
//   attention_backward_dkdv_<t>(q, k, v, out, grad_out, lse, grad_k, grad_v, bh, heads, lq, lk, d, dv, scale, causal)
#include "fathom_kernels.cuh"

typedef long long i64;

// One operand's rows: row i of pair p starts at head(p) + i * sr.
template <typename T> struct AttRows {
    T* p;
    i64 off, sb, sh, sr;
    int heads;
    __device__ __forceinline__ T* head(i64 pair) const { return p + off + pair / heads * sb + pair % heads * sh; }
};

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

// Copies rows [r0, r0 + rows) of width elements, src_stride apart from src, into shared at
// `stride`; zero rows past `limit`.
template <typename T>
__device__ __forceinline__ void att_load(T* dst, int stride, const T* src, i64 src_stride, int r0, int rows, int limit, int width) {
    for (int x = threadIdx.x; x < rows * width; x += blockDim.x) {
        int r = x / width, c = x % width;
        dst[r * stride + c] = r0 + r < limit ? src[(r0 + r) * src_stride + c] : T(0);
    }
}

template <typename T>
__device__ void attention_forward(AttRows<const T> q, AttRows<const T> k, AttRows<const T> v, AttRows<T> out, T* lse, int bh,
                                  int lq, int lk, int d, int dv, double scale_, int causal) {
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
        att_load(sq, d + 1, q.head(h), q.sr, i0, tile, lq, d);
        T* acc = sacc + t * (dv + 1);
        for (int c = 0; c < dv; ++c) acc[c] = 0;
        T m = att_neg_inf<T>(), l = 0;
        for (int j0 = 0; j0 < block_keys; j0 += tile) {
            __syncthreads();
            att_load(sk, d, k.head(h), k.sr, j0, tile, lk, d);
            att_load(sv, dv, v.head(h), v.sr, j0, tile, lk, dv);
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
            T* o = out.head(h) + i * out.sr;
            if (l == T(0)) {
                for (int c = 0; c < dv; ++c) o[c] = 0;
                lse[row] = att_neg_inf<T>();
            } else {
                T inv = T(1) / l;
                for (int c = 0; c < dv; ++c) o[c] = acc[c] * inv;
                lse[row] = m + fm_log(l);
            }
        }
    }
}

template <typename T>
__device__ void attention_backward_dq(AttRows<const T> q, AttRows<const T> k, AttRows<const T> v, AttRows<const T> out,
                                      AttRows<const T> go, const T* lse, AttRows<T> gq, int bh, int lq, int lk, int d, int dv,
                                      double scale_, int causal) {
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
        const T row_lse = i < lq ? lse[row] : att_neg_inf<T>();
        const int nk = i < lq && row_lse != att_neg_inf<T>() ? att_visible(i, lq, lk, causal) : 0;
        const int last = (i0 + tile < lq ? i0 + tile : lq) - 1;
        const int block_keys = att_visible(last, lq, lk, causal);
        __syncthreads();
        att_load(sq, d + 1, q.head(h), q.sr, i0, tile, lq, d);
        att_load(sgo, dv + 1, go.head(h), go.sr, i0, tile, lq, dv);
        T* dq = sdq + t * (d + 1);
        for (int c = 0; c < d; ++c) dq[c] = 0;
        __syncthreads();
        const T* my_go = sgo + t * (dv + 1);
        const T di = i < lq ? att_dot(my_go, out.head(h) + i * out.sr, dv) : T(0);
        for (int j0 = 0; j0 < block_keys; j0 += tile) {
            __syncthreads();
            att_load(sk, d, k.head(h), k.sr, j0, tile, lk, d);
            att_load(sv, dv, v.head(h), v.sr, j0, tile, lk, dv);
            __syncthreads();
            const int n = nk - j0 < tile ? nk - j0 : tile;
            for (int jj = 0; jj < n; ++jj) {
                T p = fm_exp(scale * att_dot(sq + t * (d + 1), sk + jj * d, d) - row_lse);
                T ds = scale * p * (att_dot(my_go, sv + jj * dv, dv) - di);
                for (int c = 0; c < d; ++c) dq[c] += ds * sk[jj * d + c];
            }
        }
        if (i < lq) {
            T* g = gq.head(h) + i * gq.sr;
            for (int c = 0; c < d; ++c) g[c] = dq[c];
        }
    }
}

template <typename T>
__device__ void attention_backward_dkdv(AttRows<const T> q, AttRows<const T> k, AttRows<const T> v, AttRows<const T> out,
                                        AttRows<const T> go, const T* lse, AttRows<T> gk, AttRows<T> gv, int bh, int lq, int lk,
                                        int d, int dv, double scale_, int causal) {
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
        att_load(sk, d + 1, k.head(h), k.sr, j0, tile, lk, d);
        att_load(sv, dv + 1, v.head(h), v.sr, j0, tile, lk, dv);
        T* dk = sdk + t * (d + 1);
        T* dvr = sdv + t * (dv + 1);
        for (int c = 0; c < d; ++c) dk[c] = 0;
        for (int c = 0; c < dv; ++c) dvr[c] = 0;
        // The first query that sees key j0: i + lk - lq >= j0.
        int first = causal ? j0 - lk + lq : 0;
        first = first < 0 ? 0 : first;
        for (int i0 = first / tile * tile; i0 < lq; i0 += tile) {
            __syncthreads();
            att_load(sq, d, q.head(h), q.sr, i0, tile, lq, d);
            att_load(sgo, dv, go.head(h), go.sr, i0, tile, lq, dv);
            for (int r = threadIdx.x; r < tile; r += blockDim.x) {
                const int i = i0 + r;
                slse[r] = i < lq ? lse[h * lq + i] : att_neg_inf<T>();
                sdi[r] = i < lq ? att_dot(go.head(h) + i * go.sr, out.head(h) + i * out.sr, dv) : T(0);
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
            T* gkr = gk.head(h) + j * gk.sr;
            T* gvr = gv.head(h) + j * gv.sr;
            for (int c = 0; c < d; ++c) gkr[c] = dk[c];
            for (int c = 0; c < dv; ++c) gvr[c] = dvr[c];
        }
    }
}

// An operand's five parameters, and the AttRows they make.
#define ATT_ROWS_PARAMS(T, x) T *x, i64 x##_off, i64 x##_sb, i64 x##_sh, i64 x##_sr
#define ATT_ROWS(T, x) AttRows<T>{x, x##_off, x##_sb, x##_sh, x##_sr, heads}

#define FATHOM_ATTENTION(t, T)                                                                                         \
    extern "C" __global__ void attention_forward_##t(ATT_ROWS_PARAMS(const T, q), ATT_ROWS_PARAMS(const T, k),         \
                                                     ATT_ROWS_PARAMS(const T, v), ATT_ROWS_PARAMS(T, out), T* lse,     \
                                                     i64 lse_off, int bh, int heads, int lq, int lk, int d, int dv,    \
                                                     double scale, int causal) {                                       \
        fm_grid_dependency();                                                                                          \
        attention_forward<T>(ATT_ROWS(const T, q), ATT_ROWS(const T, k), ATT_ROWS(const T, v), ATT_ROWS(T, out),       \
                             lse + lse_off, bh, lq, lk, d, dv, scale, causal);                                         \
    }                                                                                                                  \
    extern "C" __global__ void attention_backward_dq_##t(                                                              \
        ATT_ROWS_PARAMS(const T, q), ATT_ROWS_PARAMS(const T, k), ATT_ROWS_PARAMS(const T, v),                         \
        ATT_ROWS_PARAMS(const T, out), ATT_ROWS_PARAMS(const T, go), const T* lse, i64 lse_off,                        \
        ATT_ROWS_PARAMS(T, gq), int bh, int heads, int lq, int lk, int d, int dv, double scale, int causal) {          \
        fm_grid_dependency();                                                                                          \
        attention_backward_dq<T>(ATT_ROWS(const T, q), ATT_ROWS(const T, k), ATT_ROWS(const T, v),                     \
                                 ATT_ROWS(const T, out), ATT_ROWS(const T, go), lse + lse_off, ATT_ROWS(T, gq), bh, lq, \
                                 lk, d, dv, scale, causal);                                                            \
    }                                                                                                                  \
    extern "C" __global__ void attention_backward_dkdv_##t(                                                            \
        ATT_ROWS_PARAMS(const T, q), ATT_ROWS_PARAMS(const T, k), ATT_ROWS_PARAMS(const T, v),                         \
        ATT_ROWS_PARAMS(const T, out), ATT_ROWS_PARAMS(const T, go), const T* lse, i64 lse_off,                        \
        ATT_ROWS_PARAMS(T, gk), ATT_ROWS_PARAMS(T, gv), int bh, int heads, int lq, int lk, int d, int dv,              \
        double scale, int causal) {                                                                                    \
        fm_grid_dependency();                                                                                          \
        attention_backward_dkdv<T>(ATT_ROWS(const T, q), ATT_ROWS(const T, k), ATT_ROWS(const T, v),                   \
                                   ATT_ROWS(const T, out), ATT_ROWS(const T, go), lse + lse_off, ATT_ROWS(T, gk),      \
                                   ATT_ROWS(T, gv), bh, lq, lk, d, dv, scale, causal);                                 \
    }
FATHOM_ATTENTION(f32, float)
FATHOM_ATTENTION(f64, double)
#undef FATHOM_ATTENTION
#undef ATT_ROWS
#undef ATT_ROWS_PARAMS
