// Tiled shared-memory GEMM: C[z] (+)= A[z]·B[z] for F32, F64 and I64, the own-kernel path of
// Kernels#matmul (and of the implicit-GEMM convolutions' inner products) when cuBLAS is absent.
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
    const long long z = blockIdx.z;
    const long long zo = z / batch_inner, zi = z % batch_inner;
    const T* ab = a + a_offset + zo * a_bs_outer + zi * a_bs_inner;
    const T* bb = b + b_offset + zo * b_bs_outer + zi * b_bs_inner;
    T* cb = c + c_offset + z * (long long)m * n;

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
        gemm_tiled<T>(a, a_offset, a_bs_outer, a_bs_inner, a_rs, a_cs, b, b_offset, b_bs_outer,    \
                      b_bs_inner, b_rs, b_cs, c, c_offset, m, n, k, batch_inner, accumulate);      \
    }
FATHOM_GEMM(gemm_f32, float)
FATHOM_GEMM(gemm_f64, double)
FATHOM_GEMM(gemm_i64, long long)
#undef FATHOM_GEMM
