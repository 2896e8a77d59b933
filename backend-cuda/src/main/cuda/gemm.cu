// Tiled shared-memory GEMM: C[z] (+)= A[z]·B[z] for F32, F64 and I64, the own-kernel path of
// Kernels#matmul (and of the implicit-GEMM convolutions' inner products) when cuBLAS is absent.
// Two tilings: the 64×64 kernels gemm_f32/f64/i64 described here, and for large F32 products the
// 128×128 kernels gemm_f32_128_* further down (same parameters; GemmGeometry#choose picks).
// I64 products and sums wrap in two's complement like Java's long (PTX mul.lo/add.s64 are modular).
//
// Operands: A is M×K with element (i, p) at a[a_offset + zo·a_bs_outer + zi·a_bs_inner + i·a_rs + p·a_cs],
// B is K×N likewise, so a transposed operand is just swapped strides (no copy) and a batch stride
// of 0 broadcasts an operand over the batch. C is contiguous: c[c_offset + z·M·N + i·N + j].
// The batch index z = blockIdx.z splits as zo = z / batch_inner, zi = z % batch_inner: two batch
// levels cover a (B, H, M, K) attention product whose operand is broadcast over only one of them;
// the host collapses more batch dims into these two, or launches once per outer index.
// accumulate = 0 overwrites C (beta = 0: C's old contents, even NaN, are never read); 1 adds
// A·B to it (beta = 1, as the conv backward-weight pass needs).
//
// Launch geometry (dev.fathom.cuda.GemmGeometry): block = 256 threads (1-D), grid =
// (ceil(N/64), ceil(M/64), batch). Block (x, y, z) computes the 64×64 tile of C at rows 64·y,
// columns 64·x of batch z; gridDim.y and gridDim.z are at most 65535, so the host splits larger
// M or batches into several launches (offsets move the base). No dynamic shared memory.
//
// Algorithm: the classic shared-memory tiling with a register micro-tile (as in Volkov and
// Demmel, "Benchmarking GPUs to tune dense linear algebra", SC 2008): per K-slice of 16, the
// block stages a 64×16 tile of A (stored k-major, so the inner loop reads a row of As) and a
// 16×64 tile of B in shared memory, then each thread accumulates a 4×4 micro-tile of C in
// registers: 8 shared loads feed 16 FMAs. Thread t = (ty, tx) = (t / 16, t % 16) owns rows
// ty + 16·i and columns tx + 16·j (i, j < 4): consecutive threads touch consecutive columns, so
// the B reads from shared memory and the C stores are conflict-free and coalesced. Loads past M,
// N or K write 0 into shared memory, so edge tiles need no special inner loop; stores past M or N
// are skipped. Each tile load picks its thread→element mapping from the operand's unit stride
// (a uniform branch), so both a row-major and a transposed operand load coalesced.
#include "fathom_kernels.cuh"

#define GEMM_BM 64
#define GEMM_BN 64
#define GEMM_BK 16
#define GEMM_THREADS 256
#define GEMM_TM 4
#define GEMM_TN 4

// This block's batch: the bases of its A, B and C (blockIdx.z = z splits as zo = z / batch_inner,
// zi = z % batch_inner; C is contiguous), the same for every kernel of this file.
template <typename T> struct GemmBases {
    const T* a;
    const T* b;
    T* c;
};
template <typename T>
__device__ __forceinline__ GemmBases<T> gemm_bases(const T* a, long long a_offset, long long a_bs_outer,
                                                   long long a_bs_inner, const T* b, long long b_offset,
                                                   long long b_bs_outer, long long b_bs_inner, T* c, long long c_offset,
                                                   int m, int n, int batch_inner) {
    const long long z = blockIdx.z;
    const long long zo = z / batch_inner, zi = z % batch_inner;
    return {a + a_offset + zo * a_bs_outer + zi * a_bs_inner, b + b_offset + zo * b_bs_outer + zi * b_bs_inner,
            c + c_offset + z * (long long)m * n};
}

template <typename T>
__device__ __forceinline__ void gemm_tiled(const T* __restrict__ a, long long a_offset, long long a_bs_outer,
                                           long long a_bs_inner, long long a_rs, long long a_cs,
                                           const T* __restrict__ b, long long b_offset, long long b_bs_outer,
                                           long long b_bs_inner, long long b_rs, long long b_cs, T* __restrict__ c,
                                           long long c_offset, int m, int n, int k, int batch_inner, int accumulate) {
    // +1 column of padding on As: the k-fastest store of a transposed A tile then hits distinct banks.
    __shared__ T As[GEMM_BK][GEMM_BM + 1];
    __shared__ T Bs[GEMM_BK][GEMM_BN];

    const int tid = threadIdx.x;
    const int tx = tid % 16, ty = tid / 16;
    const long long row0 = (long long)blockIdx.y * GEMM_BM;
    const long long col0 = (long long)blockIdx.x * GEMM_BN;
    const GemmBases<T> base = gemm_bases(a, a_offset, a_bs_outer, a_bs_inner, b, b_offset, b_bs_outer, b_bs_inner, c,
                                         c_offset, m, n, batch_inner);
    const T* ab = base.a;
    const T* bb = base.b;
    T* cb = base.c;

    T acc[GEMM_TM][GEMM_TN];
    for (int i = 0; i < GEMM_TM; ++i)
        for (int j = 0; j < GEMM_TN; ++j) acc[i][j] = T(0);

    for (int k0 = 0; k0 < k; k0 += GEMM_BK) {
        // A tile: 64×16 = 1024 elements, 4 per thread.
        for (int l = 0; l < (GEMM_BM * GEMM_BK) / GEMM_THREADS; ++l) {
            int idx = tid + l * GEMM_THREADS;
            int ii, kk;
            if (a_cs == 1) { ii = idx / GEMM_BK; kk = idx % GEMM_BK; }  // rows of A are contiguous
            else { ii = idx % GEMM_BM; kk = idx / GEMM_BM; }            // columns are (transposed A)
            long long gi = row0 + ii;
            int gk = k0 + kk;
            As[kk][ii] = (gi < m && gk < k) ? ab[gi * a_rs + (long long)gk * a_cs] : T(0);
        }
        // B tile: 16×64 = 1024 elements, 4 per thread.
        for (int l = 0; l < (GEMM_BK * GEMM_BN) / GEMM_THREADS; ++l) {
            int idx = tid + l * GEMM_THREADS;
            int kk, jj;
            if (b_rs == 1 && b_cs != 1) { kk = idx % GEMM_BK; jj = idx / GEMM_BK; }  // transposed B
            else { kk = idx / GEMM_BN; jj = idx % GEMM_BN; }
            int gk = k0 + kk;
            long long gj = col0 + jj;
            Bs[kk][jj] = (gk < k && gj < n) ? bb[(long long)gk * b_rs + gj * b_cs] : T(0);
        }
        __syncthreads();
        for (int kk = 0; kk < GEMM_BK; ++kk) {
            T av[GEMM_TM], bv[GEMM_TN];
            for (int i = 0; i < GEMM_TM; ++i) av[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < GEMM_TN; ++j) bv[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < GEMM_TM; ++i)
                for (int j = 0; j < GEMM_TN; ++j) acc[i][j] += av[i] * bv[j];
        }
        // The next iteration overwrites the tiles: every thread must be done reading them.
        __syncthreads();
    }

    for (int i = 0; i < GEMM_TM; ++i) {
        long long gi = row0 + ty + 16 * i;
        if (gi >= m) continue;
        for (int j = 0; j < GEMM_TN; ++j) {
            long long gj = col0 + tx + 16 * j;
            if (gj >= n) continue;
            T* p = cb + gi * n + gj;
            *p = accumulate ? *p + acc[i][j] : acc[i][j];
        }
    }
}

#define FATHOM_GEMM(name, T)                                                                      \
    extern "C" __global__ void __launch_bounds__(GEMM_THREADS)                                    \
        name(const T* __restrict__ a, long long a_offset, long long a_bs_outer, long long a_bs_inner, \
             long long a_rs, long long a_cs, const T* __restrict__ b, long long b_offset,          \
             long long b_bs_outer, long long b_bs_inner, long long b_rs, long long b_cs,           \
             T* __restrict__ c, long long c_offset, int m, int n, int k, int batch_inner,          \
             int accumulate) {                                                                     \
        fm_grid_dependency();                                                                      \
        gemm_tiled<T>(a, a_offset, a_bs_outer, a_bs_inner, a_rs, a_cs, b, b_offset, b_bs_outer,    \
                      b_bs_inner, b_rs, b_cs, c, c_offset, m, n, k, batch_inner, accumulate);      \
    }
FATHOM_GEMM(gemm_f32, float)
FATHOM_GEMM(gemm_f64, double)
FATHOM_GEMM(gemm_i64, long long)
#undef FATHOM_GEMM

// ---- gemm_f32_128: the large-tile F32 kernel --------------------------------------------------
//
// Four entries, gemm_f32_128_{nn,nt,tn,tt}, with the parameters and the operand, batch and
// accumulate contract of gemm_f32 above; only the tiling differs. Launch geometry (GemmGeometry
// with tile 128): block = 256 threads (1-D), grid = (ceil(N/128), ceil(M/128), batch); block
// (x, y, z) computes the 128×128 tile of C at rows 128·y, columns 128·x of batch z. The host
// picks them only for F32 problems with enough such tiles to fill the GPU (GemmGeometry#choose
// says how many); smaller ones, F64 and I64 keep the 64×64 kernels.
//
// Algorithm: the register-blocked SGEMM of CUTLASS's SIMT path and of Simon Boehm's "How to
// optimize a CUDA matmul kernel" (kernels 6 and 10). Per K-slice of 8 the block stages a 128×8
// tile of A (k-major, so one k-row of As is 128 consecutive floats) and an 8×128 tile of B in
// shared memory; thread t = (ty, tx) = (t / 16, t % 16) accumulates an 8×8 micro-tile of C in 64
// registers: rows 4·ty + {0..3} and 64 + 4·ty + {0..3}, columns 4·tx + {0..3} and
// 64 + 4·tx + {0..3}. Each k then costs 4 shared float4 reads for 64 FMAs (the 64×64 kernel: 8
// scalar reads for 16). The two 4-wide halves sit 64 apart so that the 16 tx of a warp read 16
// consecutive float4 of a Bs row (each quarter-warp phase one distinct 128-byte line: conflict
// free) and its 2 ty read 2 float4 of As (broadcasts).
//
// Double buffering: two shared buffers. While the block computes slice s from buffer s % 2, each
// thread has already issued its global loads of slice s + 1 into 8 registers (their latency hides
// behind the 512 FMAs), and after computing stores them into the other buffer; one __syncthreads
// per slice then both publishes buffer (s + 1) % 2 and tells every thread that buffer s % 2 has
// been read, so the next iteration may overwrite it.
//
// Global loads are scalar: operands have arbitrary strides and offsets, so no float4 alignment
// can be proven. The thread→element map of each tile load follows the operand's unit stride so
// that a warp reads whole 32-byte sectors: with k contiguous (row-major A, transposed B) the 8 k
// of a row are 8 consecutive threads, 4 rows per warp; otherwise 32 consecutive rows (columns) at
// one k. The map is a compile-time choice, one entry per pair (n: A row-major / B row-major, t:
// a transposed view; GemmGeometry#kernel picks by the strides as gemm_tiled's uniform branch
// does). One entry that branched between the four bodies measured 147 registers on sm_90 (72
// bytes of spills under the 128 cap), each body alone 124-127 without spills. Every entry is
// correct for any strides (only coalescing depends on the choice), and the emulation test runs
// each on every layout. Both maps give a thread 4 elements a fixed pointer step apart, so the
// loop carries one pointer per operand. Shared rows are padded by 4 floats (keeps
// float4 alignment): with the k-fastest map, a warp's stores As[kk][i] for kk < 8, 4 rows i land
// at bank (4·kk + i) mod 32, all distinct. Loads past M, N or K store 0 in shared memory; stores
// past M or N are skipped, as in the 64×64 kernel.
#define GEMM_L_TILE 128
#define GEMM_L_BK 8
#define GEMM_L_LD (GEMM_L_TILE + 4)  // floats per padded shared row (a multiple of 4)

typedef fm_f4 gemm_f4;
#if defined(__CUDACC__)
#define GEMM_UNROLL _Pragma("unroll")
#else
#define GEMM_UNROLL
#endif

// The kernel body for one pair of thread→element maps: A_KROW maps A's tile k-fastest (for a
// row-major A), B_KCOL maps B's tile k-fastest (for a transposed B).
template <bool A_KROW, bool B_KCOL>
__device__ __forceinline__ void gemm_f32_128_body(gemm_f4 (*As)[GEMM_L_BK][GEMM_L_LD / 4],
                                                  gemm_f4 (*Bs)[GEMM_L_BK][GEMM_L_LD / 4], const float* __restrict__ a,
                                                  long long a_offset, long long a_bs_outer, long long a_bs_inner,
                                                  long long a_rs, long long a_cs, const float* __restrict__ b,
                                                  long long b_offset, long long b_bs_outer, long long b_bs_inner,
                                                  long long b_rs, long long b_cs, float* __restrict__ c,
                                                  long long c_offset, int m, int n, int k, int batch_inner,
                                                  int accumulate) {
    const int tid = threadIdx.x;
    const int tx = tid % 16, ty = tid / 16;
    const long long row0 = (long long)blockIdx.y * GEMM_L_TILE;
    const long long col0 = (long long)blockIdx.x * GEMM_L_TILE;
    const GemmBases<float> base = gemm_bases(a, a_offset, a_bs_outer, a_bs_inner, b, b_offset, b_bs_outer, b_bs_inner,
                                             c, c_offset, m, n, batch_inner);

    // This thread's 4 elements of each tile: element l at tile coordinates (first + l·d_first,
    // kk + l·d_k) and at global address p + l·step; p advances by one slice (8 k) per iteration,
    // which is 8 k-strides for the k-fastest map and 4 steps for the other (its step is 2 k).
    constexpr int a_di = A_KROW ? 32 : 0, a_dk = A_KROW ? 0 : 2;
    const int a_i = A_KROW ? tid / GEMM_L_BK : tid % GEMM_L_TILE;
    const int a_k = A_KROW ? tid % GEMM_L_BK : tid / GEMM_L_TILE;
    const long long a_step = A_KROW ? 32 * a_rs : 2 * a_cs;
    const float* ap = base.a + (row0 + a_i) * a_rs + (long long)a_k * a_cs;
    constexpr int b_dj = B_KCOL ? 32 : 0, b_dk = B_KCOL ? 0 : 2;
    const int b_j = B_KCOL ? tid / GEMM_L_BK : tid % GEMM_L_TILE;
    const int b_k = B_KCOL ? tid % GEMM_L_BK : tid / GEMM_L_TILE;
    const long long b_step = B_KCOL ? 32 * b_cs : 2 * b_rs;
    const float* bp = base.b + (long long)b_k * b_rs + (col0 + b_j) * b_cs;
    // Element l lies inside M (N) when l·d_first < rows_left (cols_left), and inside K when
    // l·d_k < k - k0 - kk: integer limits rather than 8 predicates held across the loop (sm_90
    // has 7 predicate registers; spilling them cost registers).
    const int a_rows_left = (int)(m - row0) - a_i, b_cols_left = (int)(n - col0) - b_j;

    float ra[4], rb[4];
    // Reads slice k0's elements into ra/rb (0 outside the matrices).
    auto load = [&](int k0) {
        const int a_k_left = k - k0 - a_k, b_k_left = k - k0 - b_k;
        GEMM_UNROLL
        for (int l = 0; l < 4; ++l) {
            ra[l] = (l * a_di < a_rows_left && l * a_dk < a_k_left) ? ap[l * a_step] : 0.0f;
            rb[l] = (l * b_dj < b_cols_left && l * b_dk < b_k_left) ? bp[l * b_step] : 0.0f;
        }
    };
    auto store = [&](int buf) {
        float* as = reinterpret_cast<float*>(&As[buf][0][0]);
        float* bs = reinterpret_cast<float*>(&Bs[buf][0][0]);
        GEMM_UNROLL
        for (int l = 0; l < 4; ++l) {
            as[(a_k + l * a_dk) * GEMM_L_LD + a_i + l * a_di] = ra[l];
            bs[(b_k + l * b_dk) * GEMM_L_LD + b_j + l * b_dj] = rb[l];
        }
    };

    float acc[8][8];
    GEMM_UNROLL
    for (int i = 0; i < 8; ++i) {
        GEMM_UNROLL
        for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;
    }

    load(0);
    store(0);
    __syncthreads();
    int buf = 0;
    for (int k0 = 0; k0 < k; k0 += GEMM_L_BK) {
        const bool next = k0 + GEMM_L_BK < k;  // uniform: every thread takes the same branches
        if (next) {
            ap += A_KROW ? GEMM_L_BK * a_cs : 4 * a_step;
            bp += B_KCOL ? GEMM_L_BK * b_rs : 4 * b_step;
            load(k0 + GEMM_L_BK);
        }
        GEMM_UNROLL
        for (int kk = 0; kk < GEMM_L_BK; ++kk) {
            const gemm_f4 a0 = As[buf][kk][ty], a1 = As[buf][kk][16 + ty];
            const gemm_f4 b0 = Bs[buf][kk][tx], b1 = Bs[buf][kk][16 + tx];
            const float av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
            GEMM_UNROLL
            for (int i = 0; i < 8; ++i) {
                GEMM_UNROLL
                for (int j = 0; j < 8; ++j) acc[i][j] += av[i] * bv[j];
            }
        }
        if (next) store(buf ^ 1);
        // Publishes the other buffer and frees this one for the next iteration's stores.
        __syncthreads();
        buf ^= 1;
    }

    // C: this thread's first element, and how many of its rows and columns lie inside M and N.
    float* cp = base.c + (row0 + 4 * ty) * n + col0 + 4 * tx;
    const int c_rows_left = (int)(m - row0) - 4 * ty, c_cols_left = (int)(n - col0) - 4 * tx;
    GEMM_UNROLL
    for (int i = 0; i < 8; ++i) {
        const int r = i < 4 ? i : 60 + i;  // rows 4·ty + i, then 64 + 4·ty + (i - 4)
        if (r >= c_rows_left) continue;
        GEMM_UNROLL
        for (int j = 0; j < 8; ++j) {
            const int col = j < 4 ? j : 60 + j;
            if (col >= c_cols_left) continue;
            float* p = cp + (long long)r * n + col;
            *p = accumulate ? *p + acc[i][j] : acc[i][j];
        }
    }
}

// nn: A_KROW, row-major B; nt: A_KROW, B_KCOL; tn and tt likewise with A's rows-fastest map.
#define FATHOM_GEMM_128(name, A_KROW, B_KCOL)                                                            \
    extern "C" __global__ void __launch_bounds__(GEMM_THREADS, 2)                                        \
        name(const float* __restrict__ a, long long a_offset, long long a_bs_outer, long long a_bs_inner, \
             long long a_rs, long long a_cs, const float* __restrict__ b, long long b_offset,              \
             long long b_bs_outer, long long b_bs_inner, long long b_rs, long long b_cs,                   \
             float* __restrict__ c, long long c_offset, int m, int n, int k, int batch_inner,              \
             int accumulate) {                                                                             \
        fm_grid_dependency();                                                                              \
        __shared__ gemm_f4 As[2][GEMM_L_BK][GEMM_L_LD / 4];                                                \
        __shared__ gemm_f4 Bs[2][GEMM_L_BK][GEMM_L_LD / 4];                                                \
        gemm_f32_128_body<A_KROW, B_KCOL>(As, Bs, a, a_offset, a_bs_outer, a_bs_inner, a_rs, a_cs, b,      \
                                          b_offset, b_bs_outer, b_bs_inner, b_rs, b_cs, c, c_offset, m, n, \
                                          k, batch_inner, accumulate);                                     \
    }
FATHOM_GEMM_128(gemm_f32_128_nn, true, false)
FATHOM_GEMM_128(gemm_f32_128_nt, true, true)
FATHOM_GEMM_128(gemm_f32_128_tn, false, false)
FATHOM_GEMM_128(gemm_f32_128_tt, false, true)
#undef FATHOM_GEMM_128

// ---- split K ---------------------------------------------------------------------------------------
// A product with few tiles of C and a long K (a classifier's [128, 3136] @ [3136, 128]: 4 tiles of
// 64 × 64 on a GPU of 132 SMs) runs as `splits` products over slices of K, launched as a batch into
// a temporary `parts` [splits, M, N] (dev.fathom.cuda.GemmLaunches), then this kernel adds the
// slices: c[c_offset + i] (+)= Σ_s parts[s·mn + i], in slice order, grid-stride over i < mn (the
// geometry of LaunchGeometry.forElements(mn)).
template <typename T>
__device__ __forceinline__ void splitk_sum(const T* __restrict__ parts, long long splits, long long mn, T* __restrict__ c,
                                           long long c_offset, int accumulate) {
    FATHOM_GRID_STRIDE(i, mn) {
        T acc = accumulate ? c[c_offset + i] : T(0);
        for (long long s = 0; s < splits; ++s) acc += parts[s * mn + i];
        c[c_offset + i] = acc;
    }
}

extern "C" __global__ void gemm_splitk_sum_f32(const float* parts, long long splits, long long mn, float* c,
                                               long long c_offset, int accumulate) {
    fm_grid_dependency();
    splitk_sum<float>(parts, splits, mn, c, c_offset, accumulate);
}
extern "C" __global__ void gemm_splitk_sum_f64(const double* parts, long long splits, long long mn, double* c,
                                               long long c_offset, int accumulate) {
    fm_grid_dependency();
    splitk_sum<double>(parts, splits, mn, c, c_offset, accumulate);
}
