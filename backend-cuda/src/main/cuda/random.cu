// Random fills (Kernels.random) from Philox 4x32-10, bit for bit as dev.fathom.spi.Philox and
// dev.fathom.spi.RandomOp define them, so a seed gives the same tensor on the CPU and the GPU.
//
// Element i of a fill with key `seed` and counter base `counter` uses words 2·(i mod 2) and
// 2·(i mod 2)+1 of philox(counter + ⌊i/2⌋, seed) (counter (low, high, 0, 0), key (low, high)).
// One thread computes one Philox block and writes its pair of elements: a grid-stride loop over
// ⌈n/2⌉ pairs (geometry: dev.fathom.cuda.LaunchGeometry.forElements((n + 1) / 2)). The output is
// contiguous (Kernels.random promises it): elements out[offset .. offset + n).
//
// Entries (extern "C"): random_f32, random_f64 (op = RandomOp ordinal: UNIFORM, NORMAL,
// BERNOULLI), random_i64 and random_u8 (BERNOULLI only; other ops write 0):
//   random_<t>(int op, T* out, i64 offset, i64 n, unsigned long long seed,
//              unsigned long long counter, double a, double b)
// a, b = (lo, hi), (mean, std) or (p, unused). The arithmetic is F64 as in Java, with __dmul_rn /
// __dadd_rn on the GPU: nvcc would otherwise contract lo + (hi-lo)·u into an FMA, whose single
// rounding differs from Java's two and would break bit-identity with the CPU.
#include "fathom_kernels.cuh"

typedef unsigned char u8;
typedef long long i64;

enum FathomRandomOp { RND_UNIFORM, RND_NORMAL, RND_BERNOULLI };

#ifdef __CUDA_ARCH__
__device__ __forceinline__ unsigned fm_umulhi(unsigned a, unsigned b) { return __umulhi(a, b); }
__device__ __forceinline__ double fm_mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double fm_add(double a, double b) { return __dadd_rn(a, b); }
#else
// The C++ emulation: x86-64 g++ without -march does not contract, so plain operators round twice.
inline unsigned fm_umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline double fm_mul(double a, double b) { return a * b; }
inline double fm_add(double a, double b) { return a + b; }
#endif

// Philox 4x32-10 (Salmon et al., SC 2011), the rounds of dev.fathom.spi.Philox.block.
__device__ __forceinline__ void philox4x32_10(unsigned c[4], unsigned k0, unsigned k1) {
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        unsigned hi0 = fm_umulhi(0xD2511F53u, c[0]), lo0 = 0xD2511F53u * c[0];
        unsigned hi1 = fm_umulhi(0xCD9E8D57u, c[2]), lo1 = 0xCD9E8D57u * c[2];
        unsigned n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0;
        c[1] = lo1;
        c[2] = n2;
        c[3] = lo0;
    }
}

// Philox.uniformFloat: the top 24 bits of w, exactly representable in F32.
__device__ __forceinline__ float uniform_f32(unsigned w) { return (float)(w >> 8) * 5.9604644775390625e-8f; }
// Philox.uniformDouble: the top 53 bits of w0:w1.
__device__ __forceinline__ double uniform_f64(unsigned w0, unsigned w1) {
    unsigned long long bits = ((unsigned long long)w0 << 32) | w1;
    return (double)(bits >> 11) * 1.1102230246251565404236316680908203125e-16;
}
// Philox.normal: Box–Muller in F64.
__device__ __forceinline__ double normal_f64(unsigned w0, unsigned w1) {
    double u1 = ((double)w0 + 1.0) * 2.3283064365386962890625e-10;
    double u2 = (double)w1 * 2.3283064365386962890625e-10;
    return fm_mul(sqrt(-2.0 * log(u1)), cos(fm_mul(6.283185307179586, u2)));
}

template <typename T> __device__ __forceinline__ T random_value(int op, unsigned w0, unsigned w1, double a, double b);
template <> __device__ __forceinline__ float random_value<float>(int op, unsigned w0, unsigned w1, double a, double b) {
    switch (op) {
    case RND_UNIFORM: return (float)fm_add(a, fm_mul(b - a, (double)uniform_f32(w0)));
    case RND_NORMAL: return (float)fm_add(a, fm_mul(b, normal_f64(w0, w1)));
    case RND_BERNOULLI: return (double)uniform_f32(w0) < a ? 1.0f : 0.0f;
    default: return 0;
    }
}
template <> __device__ __forceinline__ double random_value<double>(int op, unsigned w0, unsigned w1, double a, double b) {
    switch (op) {
    case RND_UNIFORM: return fm_add(a, fm_mul(b - a, uniform_f64(w0, w1)));
    case RND_NORMAL: return fm_add(a, fm_mul(b, normal_f64(w0, w1)));
    case RND_BERNOULLI: return (double)uniform_f32(w0) < a ? 1.0 : 0.0;
    default: return 0;
    }
}
template <> __device__ __forceinline__ i64 random_value<i64>(int op, unsigned w0, unsigned, double a, double) {
    return op == RND_BERNOULLI && (double)uniform_f32(w0) < a ? 1 : 0;
}
template <> __device__ __forceinline__ u8 random_value<u8>(int op, unsigned w0, unsigned, double a, double) {
    return op == RND_BERNOULLI && (double)uniform_f32(w0) < a ? 1 : 0;
}

template <typename T>
__device__ void random_fill(int op, T* out, i64 offset, i64 n, unsigned long long seed, unsigned long long counter,
                            double a, double b) {
    i64 pairs = (n + 1) / 2;
    FATHOM_GRID_STRIDE(p, pairs) {
        unsigned long long ctr = counter + (unsigned long long)p;
        unsigned c[4] = {(unsigned)ctr, (unsigned)(ctr >> 32), 0u, 0u};
        philox4x32_10(c, (unsigned)seed, (unsigned)(seed >> 32));
        i64 i = 2 * p;
        out[offset + i] = random_value<T>(op, c[0], c[1], a, b);
        if (i + 1 < n) out[offset + i + 1] = random_value<T>(op, c[2], c[3], a, b);
    }
}

#define FATHOM_RANDOM(t, T)                                                                       \
    extern "C" __global__ void random_##t(int op, T* out, i64 offset, i64 n, unsigned long long seed,     \
                                          unsigned long long counter, double a, double b) {        \
        fm_grid_dependency();                                                                     \
        random_fill<T>(op, out, offset, n, seed, counter, a, b);                                  \
    }
FATHOM_RANDOM(f32, float)
FATHOM_RANDOM(f64, double)
FATHOM_RANDOM(i64, i64)
FATHOM_RANDOM(u8, u8)
#undef FATHOM_RANDOM
