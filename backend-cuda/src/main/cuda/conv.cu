// Implicit-GEMM 2-D convolution, F32 and F64: the own-kernel path of Kernels#conv2dForward,
// #conv2dBackwardData and #conv2dBackwardWeight when cuDNN is absent.
//
// Layouts (dev.fathom.spi.Conv2dGeometry): NCHW, every operand contiguous from its offset (in
// elements): x (N, C_in, H, W), w (C_out, C_in/G, KH, KW), y (N, C_out, OH, OW). Output channel o
// of group g = o / (C_out/G) reads input channels [g·C_in/G, (g+1)·C_in/G). Padding reads as 0.
// Outputs are overwritten (never accumulated into); their old contents, even NaN, are never read.
//
// Each pass is one GEMM per group, C (M×Nc) = A (M×K) · B (K×Nc), whose operands are gathered from
// the tensors on the fly while the tiles are staged in shared memory (implicit GEMM, as in
// Chetlur et al., "cuDNN: Efficient Primitives for Deep Learning", 2014, §3.1): no im2col buffer.
//   forward         M = C_out/G (o), Nc = N·OH·OW (n, i, j), K = C_in/G·KH·KW (c, p, q);
//                   A = w_g, B[(c,p,q), (n,i,j)] = x[n, g·C_in/G + c, i·sH − pH + p·dH, j·sW − pW + q·dW].
//   backward-data   M = C_in/G (c), Nc = N·H·W (n, h, w), K = C_out/G·KH·KW (o, p, q);
//                   A[c, (o,p,q)] = w[g·C_out/G + o, c, p, q], B[(o,p,q), (n,h,w)] = gy[n, g·C_out/G + o, i, j]
//                   where h = i·sH − pH + p·dH, w = j·sW − pW + q·dW; a (p, q) for which no output
//                   position (i, j) on the stride grid exists (h + pH − p·dH not a multiple of sH,
//                   or i outside [0, OH)) contributes 0. Split into sH·sW stride phases (below),
//                   each a GEMM over its own positions and only its valid (p, q).
//   backward-weight M = C_out/G (o), Nc = C_in/G·KH·KW (c, p, q), K = N·OH·OW (n, i, j), summed
//                   over the batch; A[o, (n,i,j)] = gy[n, g·C_out/G + o, i, j], B = the forward's
//                   gathered x, transposed. K is long, so it may be split into S chunks
//                   (split-K): chunk s writes its partial sums to plane s of a workspace
//                   (S, C_out, C_in/G, KH, KW) and conv2d_bwd_weight_reduce adds the planes in
//                   order s = 0, 1, ...; with S = 1 the GEMM writes gw directly. No atomics, so
//                   the result is the same on every run.
//
// The tiling is gemm.cu's (64×64 tile of C per block, K-slices of 16, 256 threads with a 4×4
// register micro-tile each; loads past an edge stage 0 in shared memory, stores past it are
// skipped). In every B tile load thread t always fills column t % 64 of the tile, so it decodes
// its column (n, i, j) or (c, p, q) once per block; only the row decode happens per element.
//
// Launch geometry (dev.fathom.cuda.ConvGeometry): block = 256 threads, grid = (ceil(Nc/64),
// ceil(M/64), G) for forward, (ceil(N·ceil(H/sH)·ceil(W/sW) / 64), ceil(M/64), G·sH·sW) for
// backward-data (z = phase·G + g, the largest phase's columns; blocks past a smaller phase
// return at once), (ceil(Nc/64), ceil(M/64), G·S) for backward-weight (z = s·G + g), no dynamic
// shared memory. The host keeps the GEMM dimensions
// Nc and K below 2^31 (int indices; memory offsets are 64-bit).
#include "fathom_kernels.cuh"

#define CONV_BM 64
#define CONV_BN 64
#define CONV_BK 16
#define CONV_THREADS 256
#define CONV_TM 4
#define CONV_TN 4

// One convolution's shape, as dev.fathom.spi.Conv2dGeometry.
struct ConvShape {
    int n, c_in, h, w, c_out, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow;
    __device__ int cin_g() const { return c_in / groups; }
    __device__ int cout_g() const { return c_out / groups; }
    __device__ int khw() const { return kh * kw; }
};

// The kernels' shape parameters, in Conv2dGeometry's order (prefixed: x and w are operands).
#define CONV_SHAPE_PARAMS                                                                          \
    int s_n, int s_c_in, int s_h, int s_w, int s_c_out, int s_kh, int s_kw, int s_sh, int s_sw,      \
        int s_ph, int s_pw, int s_dh, int s_dw, int s_groups, int s_oh, int s_ow
#define CONV_SHAPE_ARGS                                                                            \
    {s_n, s_c_in, s_h, s_w, s_c_out, s_kh, s_kw, s_sh, s_sw, s_ph, s_pw, s_dh, s_dw, s_groups, s_oh, s_ow}

// The shared main loop: C[row0.., col0..] = Σ_{k in [k_begin, k_end)} A[row, k]·B[k, col] over
// the block's 64×64 tile, handed to prob.store(row, col, value) for in-range elements. P supplies
// a(row, k), col(col) (the per-column state, with a `valid` flag for columns past Nc) and
// b(k, col_state).
template <typename T, typename P>
__device__ __forceinline__ void conv_gemm_tile(const P& prob, int m, int nc, int k_begin, int k_end) {
    __shared__ T As[CONV_BK][CONV_BM + 1];
    __shared__ T Bs[CONV_BK][CONV_BN];

    const int tid = threadIdx.x;
    const int tx = tid % 16, ty = tid / 16;
    const int row0 = blockIdx.y * CONV_BM;
    const int col0 = blockIdx.x * CONV_BN;
    // The grid covers the largest backward-data phase; blocks past a smaller one have no work.
    // The whole block leaves together, before any barrier.
    if (col0 >= nc) return;

    T acc[CONV_TM][CONV_TN];
    for (int i = 0; i < CONV_TM; ++i)
        for (int j = 0; j < CONV_TN; ++j) acc[i][j] = T(0);

    const typename P::Col col = prob.col(col0 + tid % CONV_BN, nc);
    for (int k0 = k_begin; k0 < k_end; k0 += CONV_BK) {
        // A tile: 64×16, 4 per thread; k fastest, so consecutive threads read consecutive k.
        for (int l = 0; l < (CONV_BM * CONV_BK) / CONV_THREADS; ++l) {
            int idx = tid + l * CONV_THREADS;
            int ii = idx / CONV_BK, kk = idx % CONV_BK;
            int gi = row0 + ii, gk = k0 + kk;
            As[kk][ii] = (gi < m && gk < k_end) ? prob.a(gi, gk) : T(0);
        }
        // B tile: 16×64, 4 per thread; column tid % 64 for all four.
        for (int l = 0; l < (CONV_BK * CONV_BN) / CONV_THREADS; ++l) {
            int kk = (tid + l * CONV_THREADS) / CONV_BN;
            int gk = k0 + kk;
            Bs[kk][tid % CONV_BN] = (col.valid && gk < k_end) ? prob.b(gk, col) : T(0);
        }
        __syncthreads();
        for (int kk = 0; kk < CONV_BK; ++kk) {
            T av[CONV_TM], bv[CONV_TN];
            for (int i = 0; i < CONV_TM; ++i) av[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < CONV_TN; ++j) bv[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < CONV_TM; ++i)
                for (int j = 0; j < CONV_TN; ++j) acc[i][j] += av[i] * bv[j];
        }
        // The next slice overwrites the tiles: every thread must be done reading them.
        __syncthreads();
    }

    for (int i = 0; i < CONV_TM; ++i) {
        int gi = row0 + ty + 16 * i;
        if (gi >= m) continue;
        for (int j = 0; j < CONV_TN; ++j) {
            int gj = col0 + tx + 16 * j;
            if (gj >= nc) continue;
            prob.store(gi, gj, acc[i][j]);
        }
    }
}

// ---- forward ----------------------------------------------------------------------------------

template <typename T> struct ConvForward {
    ConvShape s;
    const T* x;
    const T* w;  // w_g: (C_out/G, K) row-major
    T* y;
    long long x_base;  // x_offset + first channel of group g
    long long y_base;  // y_offset + first channel of group g

    struct Col {
        bool valid;
        long long base;  // x element (n, g·C_in/G, 0, 0)
        int ih0, iw0;    // i·sH − pH, j·sW − pW
    };
    __device__ Col col(int j, int nc) const {
        Col c{j < nc, 0, 0, 0};
        if (!c.valid) return c;
        int ohw = s.oh * s.ow, nn = j / ohw, ij = j - nn * ohw, i = ij / s.ow, jo = ij - i * s.ow;
        c.base = x_base + (long long)nn * s.c_in * s.h * s.w;
        c.ih0 = i * s.sh - s.ph;
        c.iw0 = jo * s.sw - s.pw;
        return c;
    }
    __device__ T a(int o, int k) const { return w[(long long)o * (s.cin_g() * s.khw()) + k]; }
    __device__ T b(int k, const Col& c) const {
        int khw = s.khw(), ch = k / khw, pq = k - ch * khw, p = pq / s.kw, q = pq - p * s.kw;
        int ih = c.ih0 + p * s.dh, iw = c.iw0 + q * s.dw;
        if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) return T(0);
        return x[c.base + ((long long)ch * s.h + ih) * s.w + iw];
    }
    __device__ void store(int o, int j, T v) const {
        int ohw = s.oh * s.ow, nn = j / ohw, ij = j - nn * ohw;
        y[y_base + ((long long)nn * s.c_out + o) * ohw + ij] = v;
    }
};

template <typename T>
__device__ __forceinline__ void conv2d_fwd(const T* x, long long x_offset, const T* w, long long w_offset, T* y,
                                           long long y_offset, const ConvShape& s) {
    const int g = blockIdx.z, cin_g = s.cin_g(), cout_g = s.cout_g(), k = cin_g * s.khw();
    ConvForward<T> prob{s,
                        x,
                        w + w_offset + (long long)g * cout_g * k,
                        y,
                        x_offset + (long long)g * cin_g * s.h * s.w,
                        y_offset + (long long)g * cout_g * s.oh * s.ow};
    conv_gemm_tile<T>(prob, cout_g, s.n * s.oh * s.ow, 0, k);
}

// ---- backward-data ----------------------------------------------------------------------------
//
// Stride phases: input row h receives from kernel row p only when h + pH − p·dH is a multiple of
// sH, which depends on h only through a = (h + pH) mod sH. So the rows split into sH phases, and
// in phase a the contributing p are exactly those with p·dH ≡ a (mod sH): an arithmetic
// progression p_first, p_first + sH/gcd(dH, sH), ... below KH (possibly empty). Likewise for
// columns. Each (a, b) phase is its own GEMM over the input positions of that phase with only its
// valid (o, p, q) in K, so a stride-2 convolution does not multiply three zeros for every product
// (the decomposition of transposed convolutions into sH·sW stride-1 ones; see Dumoulin and Visin,
// "A guide to convolution arithmetic for deep learning", 2016, §4). With stride 1 there is one
// phase and every (p, q). A product can still vanish at the border (i outside [0, OH)).

// The kernel offsets of one phase along one axis: first, step, count; and the phase's positions:
// the first input coordinate (h0) and how many (hc).
struct ConvPhaseAxis {
    int first, step, count, h0, hc;
};

__device__ __forceinline__ int conv_gcd(int a, int b) {
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

__device__ __forceinline__ ConvPhaseAxis conv_phase_axis(int a, int in, int k, int stride, int pad, int dil) {
    ConvPhaseAxis ax;
    ax.step = stride / conv_gcd(dil, stride);
    ax.first = k;
    for (int p = 0; p < ax.step && p < k; ++p)
        if ((p * dil) % stride == a) {
            ax.first = p;
            break;
        }
    ax.count = ax.first < k ? (k - 1 - ax.first) / ax.step + 1 : 0;
    ax.h0 = ((a - pad) % stride + stride) % stride;
    ax.hc = ax.h0 < in ? (in - 1 - ax.h0) / stride + 1 : 0;
    return ax;
}

template <typename T> struct ConvBackwardData {
    ConvShape s;
    const T* gy;
    const T* w;  // w + w_offset + first output channel of group g
    T* gx;
    long long gy_base;  // gy_offset + first channel of group g
    long long gx_base;  // gx_offset + first channel of group g
    ConvPhaseAxis ph, pw;

    __device__ int columns() const { return s.n * ph.hc * pw.hc; }
    __device__ int reduction() const { return s.cout_g() * ph.count * pw.count; }

    struct Col {
        bool valid;
        long long base;  // gy element (n, g·C_out/G, 0, 0)
        int th, tw;      // h + pH, w + pW: then i·sH = th − p·dH
    };
    // Column j of the phase: input position (n, h0 + hi·sH, w0 + wi·sW).
    __device__ Col col(int j, int nc) const {
        Col c{j < nc, 0, 0, 0};
        if (!c.valid) return c;
        int plane = ph.hc * pw.hc, nn = j / plane, r = j - nn * plane, hi = r / pw.hc, wi = r - hi * pw.hc;
        c.base = gy_base + (long long)nn * s.c_out * s.oh * s.ow;
        c.th = ph.h0 + hi * s.sh + s.ph;
        c.tw = pw.h0 + wi * s.sw + s.pw;
        return c;
    }
    // K index → (o, p, q) over the phase's valid kernel offsets.
    __device__ void tap(int k, int& o, int& p, int& q) const {
        int pq = ph.count * pw.count;
        o = k / pq;
        int r = k - o * pq, pi = r / pw.count, qi = r - pi * pw.count;
        p = ph.first + pi * ph.step;
        q = pw.first + qi * pw.step;
    }
    // A[c, (o, p, q)] = w[o, c, p, q] within the group.
    __device__ T a(int ch, int k) const {
        int o, p, q;
        tap(k, o, p, q);
        return w[(((long long)o * s.cin_g() + ch) * s.kh + p) * s.kw + q];
    }
    __device__ T b(int k, const Col& c) const {
        int o, p, q;
        tap(k, o, p, q);
        int ti = c.th - p * s.dh, tj = c.tw - q * s.dw;  // multiples of sH and sW by the phase
        if (ti < 0 || tj < 0) return T(0);
        int i = ti / s.sh, j = tj / s.sw;
        if (i >= s.oh || j >= s.ow) return T(0);
        return gy[c.base + ((long long)o * s.oh + i) * s.ow + j];
    }
    __device__ void store(int ch, int j, T v) const {
        int plane = ph.hc * pw.hc, nn = j / plane, r = j - nn * plane, hi = r / pw.hc, wi = r - hi * pw.hc;
        long long hh = ph.h0 + hi * s.sh, ww = pw.h0 + wi * s.sw;
        gx[gx_base + ((long long)nn * s.c_in + ch) * s.h * s.w + hh * s.w + ww] = v;
    }
};

template <typename T>
__device__ __forceinline__ void conv2d_bwd_data(const T* gy, long long gy_offset, const T* w, long long w_offset,
                                                T* gx, long long gx_offset, const ConvShape& s) {
    const int g = blockIdx.z % s.groups, phase = blockIdx.z / s.groups;
    const int cin_g = s.cin_g(), cout_g = s.cout_g();
    ConvBackwardData<T> prob{s,
                             gy,
                             w + w_offset + (long long)g * cout_g * cin_g * s.khw(),
                             gx,
                             gy_offset + (long long)g * cout_g * s.oh * s.ow,
                             gx_offset + (long long)g * cin_g * s.h * s.w,
                             conv_phase_axis(phase / s.sw, s.h, s.kh, s.sh, s.ph, s.dh),
                             conv_phase_axis(phase % s.sw, s.w, s.kw, s.sw, s.pw, s.dw)};
    conv_gemm_tile<T>(prob, cin_g, prob.columns(), 0, prob.reduction());
}

// ---- backward-weight --------------------------------------------------------------------------

template <typename T> struct ConvBackwardWeight {
    ConvShape s;
    const T* x;
    const T* gy;
    T* dst;
    long long x_base;   // x_offset + first channel of group g
    long long gy_base;  // gy_offset + first channel of group g
    long long dst_base; // dst_offset + plane s + first output channel of group g

    struct Col {
        bool valid;
        long long coff;  // (c·H)·W within a sample
        int hoff, woff;  // p·dH − pH, q·dW − pW
    };
    __device__ Col col(int j, int nc) const {
        Col c{j < nc, 0, 0, 0};
        if (!c.valid) return c;
        int khw = s.khw(), ch = j / khw, pq = j - ch * khw, p = pq / s.kw, q = pq - p * s.kw;
        c.coff = (long long)ch * s.h * s.w;
        c.hoff = p * s.dh - s.ph;
        c.woff = q * s.dw - s.pw;
        return c;
    }
    // A[o, (n, i, j)] = gy[n, o, i, j] within the group.
    __device__ T a(int o, int r) const {
        int ohw = s.oh * s.ow, nn = r / ohw, ij = r - nn * ohw;
        return gy[gy_base + ((long long)nn * s.c_out + o) * ohw + ij];
    }
    __device__ T b(int r, const Col& c) const {
        int ohw = s.oh * s.ow, nn = r / ohw, ij = r - nn * ohw, i = ij / s.ow, jo = ij - i * s.ow;
        int ih = i * s.sh + c.hoff, iw = jo * s.sw + c.woff;
        if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) return T(0);
        return x[x_base + (long long)nn * s.c_in * s.h * s.w + c.coff + (long long)ih * s.w + iw];
    }
    __device__ void store(int o, int k, T v) const {
        dst[dst_base + (long long)o * (s.cin_g() * s.khw()) + k] = v;
    }
};

template <typename T>
__device__ __forceinline__ void conv2d_bwd_weight(const T* x, long long x_offset, const T* gy, long long gy_offset,
                                                  T* dst, long long dst_offset, long long k_chunk,
                                                  const ConvShape& s) {
    const int g = blockIdx.z % s.groups, split = blockIdx.z / s.groups;
    const int cin_g = s.cin_g(), cout_g = s.cout_g(), kw_len = cin_g * s.khw();
    const long long plane = (long long)s.c_out * kw_len;
    ConvBackwardWeight<T> prob{s,
                               x,
                               gy,
                               dst,
                               x_offset + (long long)g * cin_g * s.h * s.w,
                               gy_offset + (long long)g * cout_g * s.oh * s.ow,
                               dst_offset + split * plane + (long long)g * cout_g * kw_len};
    const long long k_total = (long long)s.n * s.oh * s.ow;
    const long long k_begin = split * k_chunk;
    const long long k_end = k_begin + k_chunk < k_total ? k_begin + k_chunk : k_total;
    // A chunk past the end (only when the host's S·chunk overshoots) still writes its zeros, so
    // the reduction never reads an unwritten plane.
    conv_gemm_tile<T>(prob, cout_g, kw_len, (int)(k_begin < k_end ? k_begin : 0), (int)(k_begin < k_end ? k_end : 0));
}

// gw[e] = Σ_{s < splits} partial[s·size + e], in order of s: the deterministic second pass of the
// split-K weight gradient. 1-D grid-stride launch (dev.fathom.cuda.LaunchGeometry over size).
template <typename T>
__device__ __forceinline__ void conv2d_bwd_weight_reduce(const T* partial, long long size, int splits, T* gw,
                                                         long long gw_offset) {
    FATHOM_GRID_STRIDE(e, size) {
        T acc = partial[e];
        for (int sp = 1; sp < splits; ++sp) acc += partial[sp * size + e];
        gw[gw_offset + e] = acc;
    }
}

#define FATHOM_CONV(sfx, T)                                                                          \
    extern "C" __global__ void __launch_bounds__(CONV_THREADS)                                       \
        conv2d_fwd_##sfx(const T* __restrict__ x, long long x_offset, const T* __restrict__ w,        \
                         long long w_offset, T* __restrict__ y, long long y_offset, CONV_SHAPE_PARAMS) { \
        fm_grid_dependency();                                                                         \
        conv2d_fwd<T>(x, x_offset, w, w_offset, y, y_offset, ConvShape CONV_SHAPE_ARGS);              \
    }                                                                                                \
    extern "C" __global__ void __launch_bounds__(CONV_THREADS)                                       \
        conv2d_bwd_data_##sfx(const T* __restrict__ gy, long long gy_offset, const T* __restrict__ w, \
                              long long w_offset, T* __restrict__ gx, long long gx_offset,            \
                              CONV_SHAPE_PARAMS) {                                                   \
        fm_grid_dependency();                                                                         \
        conv2d_bwd_data<T>(gy, gy_offset, w, w_offset, gx, gx_offset, ConvShape CONV_SHAPE_ARGS);     \
    }                                                                                                \
    extern "C" __global__ void __launch_bounds__(CONV_THREADS)                                       \
        conv2d_bwd_weight_##sfx(const T* __restrict__ x, long long x_offset, const T* __restrict__ gy, \
                                long long gy_offset, T* __restrict__ dst, long long dst_offset,       \
                                long long k_chunk, CONV_SHAPE_PARAMS) {                              \
        fm_grid_dependency();                                                                         \
        conv2d_bwd_weight<T>(x, x_offset, gy, gy_offset, dst, dst_offset, k_chunk,                    \
                             ConvShape CONV_SHAPE_ARGS);                                             \
    }                                                                                                \
    extern "C" __global__ void conv2d_bwd_weight_reduce_##sfx(const T* __restrict__ partial,          \
                                                              long long size, int splits,             \
                                                              T* __restrict__ gw, long long gw_offset) { \
        fm_grid_dependency();                                                                         \
        conv2d_bwd_weight_reduce<T>(partial, size, splits, gw, gw_offset);                            \
    }
FATHOM_CONV(f32, float)
FATHOM_CONV(f64, double)
#undef FATHOM_CONV
