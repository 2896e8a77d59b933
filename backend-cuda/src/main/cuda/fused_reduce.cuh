// Reductions shared by the fused kernels (softmax.cu, norm.cu): a thread's compensated running sum
// and block-wide sums whose result every thread of the block receives (they all need it for the
// second pass over their row).
//
// Accuracy, as reduce.cu: a thread adds its elements in T with Kahan compensation (Kahan 1965,
// "Further remarks on reducing truncation errors"), so an F32 run of any length keeps about F32
// precision; the threads' partials are then combined in F64. Kahan has no multiply, so nvcc's FMA
// contraction cannot undo it (contracting a product INTO the compensated add only makes it exact).
//
// Determinism: the combine order depends only on the launch geometry. Warps combine with an XOR
// butterfly, in which lane i and lane i^d add the same two values (IEEE addition commutes), so all
// lanes hold the same bits; warp 0..w-1 partials are then folded in index order by every thread.
// No atomics, so a rerun gives the same bits.
//
// Requirements: every thread of the block calls each function (they contain __syncthreads and warp
// shuffles), and blockDim.x is a multiple of 32 (dev.fathom.cuda.FusedLaunchPlan guarantees it).
#pragma once
#include "fathom_kernels.cuh"

// A Kahan-compensated sum in T: `comp` holds the low bits that the last add of `sum` dropped.
template <typename T> struct KahanSum {
    T sum = 0, comp = 0;
    __device__ __forceinline__ void add(T v) {
        T y = v - comp;
        T t = sum + y;
        // Once the sum is infinite (or NaN) there are no low bits to keep, and (t - sum) - y would be
        // inf - inf = NaN: a sum with one +inf must stay +inf, as an F64 sum does (as reduce.cu).
        comp = t - t == T(0) ? (t - sum) - y : T(0);
        sum = t;
    }
    __device__ __forceinline__ double value() const { return (double)sum - (double)comp; }
    __device__ __forceinline__ void scale(T s) {
        sum *= s;
        comp *= s;
    }
};

// Sum of v over the warp, in every lane (XOR butterfly).
__device__ __forceinline__ double warp_allsum(double v) {
    for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
    return v;
}

// Sums of a and b over the block, returned in every thread (one pass for both: the layer and
// batch norm backward need Σg and Σg·x̂ together).
__device__ __forceinline__ void block_allsum2(double& a, double& b) {
    __shared__ double part_a[32];
    __shared__ double part_b[32];
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    a = warp_allsum(a);
    b = warp_allsum(b);
    if (lane == 0) {
        part_a[warp] = a;
        part_b[warp] = b;
    }
    __syncthreads();
    a = 0;
    b = 0;
    for (unsigned w = 0; w < warps; ++w) {
        a += part_a[w];
        b += part_b[w];
    }
    __syncthreads();  // the parts are reused by the block's next row or sum
}

__device__ __forceinline__ double block_allsum(double a) {
    double b = 0;
    block_allsum2(a, b);
    return a;
}

// Larger of a and b, NaN if either is NaN (as the composite softmax's max reduction).
template <typename T> __device__ __forceinline__ T fm_max_nan(T a, T b) { return (a > b || fm_isnan(a)) ? a : b; }

// The online softmax normalizer (Milakov & Gimelshein 2018, "Online normalizer calculation for
// softmax"): max m of the values seen and d = Σ exp(x - m). Combining two states rescales each sum
// to the larger max; equal maxima (including both -inf, or an empty state) scale by exactly 1, so a
// row whose first elements are -inf does not turn into exp(-inf - -inf) = NaN. The combine is
// commutative bit for bit, as warp_allsum needs.
__device__ __forceinline__ void softmax_combine(double& m, double& d, double m2, double d2) {
    double mx = fm_max_nan(m, m2);
    double s1 = m == mx ? d : d * exp(m - mx);
    double s2 = m2 == mx ? d2 : d2 * exp(m2 - mx);
    m = mx;
    d = s1 + s2;
}

// The block's (max, Σ exp(x - max)) from every thread's (m, d), returned in every thread.
__device__ __forceinline__ void block_softmax_normalizer(double& m, double& d) {
    __shared__ double part_m[32];
    __shared__ double part_d[32];
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    for (int k = 16; k > 0; k >>= 1) {
        double m2 = __shfl_xor_sync(0xffffffffu, m, k);
        double d2 = __shfl_xor_sync(0xffffffffu, d, k);
        softmax_combine(m, d, m2, d2);
    }
    if (lane == 0) {
        part_m[warp] = m;
        part_d[warp] = d;
    }
    __syncthreads();
    m = part_m[0];
    d = part_d[0];
    for (unsigned w = 1; w < warps; ++w) softmax_combine(m, d, part_m[w], part_d[w]);
    __syncthreads();
}
