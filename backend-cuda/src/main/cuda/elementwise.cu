// Elementwise kernels: fill, copy/cast, unary and binary maps, comparisons, where.
//
// Shapes: every operand of one launch is a device pointer (the buffer's base) plus a StridedDesc
// with the OUTPUT's sizes. The tensor layer has already broadcast inputs (stride 0 on broadcast
// dims) and checked shapes and dtypes, as the Kernels SPI promises, so a kernel never applies a
// shape rule: it maps flat row-major index i of the output shape to a storage offset in each
// operand (fathom_offset) and touches one element. Outputs are addressed through their
// descriptor too, so in-place ops (out is a view of x), fills of views and copies into slices
// need no separate kernels. n is the output's numel.
//
// Launch: 1-D, grid-stride, FATHOM_ILP elements per thread and trip (FATHOM_TRIPS): a thread loads
// the inputs of elements i, i + s, i + 2s, i + 3s (s = the block's threads, so that a block's
// trip is one contiguous stretch) before it computes and stores any, so that it has four loads per
// operand in flight. With one element per thread, the
// resident threads held about half the bytes in flight that an H200's bandwidth × latency asks
// for. The geometry is dev.fathom.cuda.LaunchGeometry.forElements(n, FATHOM_ILP): one trip per
// thread while the grid covers n; any grid is correct. No shared memory, no barriers.
//
// Dtypes and names (extern "C", so the PTX entry names are exactly these):
//   F32 = float "f32", F64 = double "f64", I64 = long long "i64", BOOL = unsigned char "u8"
//   (0 or 1, one byte per element, as the Java side stores it).
//   fill_<t>                                        all four dtypes
//   copy_<src>_<dst>                                all 16 pairs (cast rules: see Convert)
//   unary_<t>, binary_<t>, compare_<t>, where_<t>   F32, F64
//   activation_backward_<t> (RELU, GELU: g·op'(x))  F32, F64
//   unary_i64 (NEG, ABS, SIGN), binary_i64 (ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM), compare_i64,
//   where_i64, where_u8                             I64, BOOL
//   unary_u8 (NOT), binary_u8 (AND, OR, XOR, EQ, NE) BOOL
// I64 arithmetic wraps in two's complement like Java's long. binary_i64 takes one more argument,
// int* status: an integer division by zero writes 0 and sets *status to 1. It points at the
// launch's fault slot (dev.fathom.cuda.DeviceChecks), which the host keeps at 0 until it reads it
// at its next wait, and then throws Java's ArithmeticException.
// Each family is one template instantiated per dtype; the op is a kernel argument (the ordinal
// of the Java enum), uniform across the grid, so its switch costs no divergence. An op code a
// kernel does not define writes NaN (floats) or 0 (BOOL); the host never sends one.
#include "fathom_kernels.cuh"

typedef unsigned char u8;
typedef long long i64;

// ---- conversions (Kernels.copy's rules: floats to I64 truncate toward zero, to BOOL is != 0) ----

template <typename D, typename S> struct Convert {
    __device__ __forceinline__ static D apply(S x) { return (D)x; }
};
template <typename S> struct Convert<u8, S> {
    __device__ __forceinline__ static u8 apply(S x) { return x != 0 ? 1 : 0; }  // NaN != 0: true
};
template <> struct Convert<i64, float> {
    __device__ __forceinline__ static i64 apply(float x) { return fm_to_i64(x); }
};
template <> struct Convert<i64, double> {
    __device__ __forceinline__ static i64 apply(double x) { return fm_to_i64(x); }
};

// ---- scalar meaning of each op, as dev.fathom.cpu.ScalarMath, in T's precision -----------------

template <typename T> __device__ __forceinline__ T fm_nan() {
    T z = 0;
    return z / z;
}

// Φ(x) through erfc for negative x so that small tails keep their digits.
template <typename T> __device__ __forceinline__ T fm_phi(T x) {
    const T inv_sqrt2 = T(0.70710678118654752440);
    return x < 0 ? T(0.5) * fm_erfc(-x * inv_sqrt2) : T(0.5) * (T(1) + fm_erf(x * inv_sqrt2));
}

template <typename T> __device__ __forceinline__ T unary_op(int op, T x) {
    switch (op) {
    case U_NEG: return -x;
    case U_ABS: return fm_fabs(x);
    case U_SIGN: return x > 0 ? T(1) : x < 0 ? T(-1) : x == 0 ? T(0) : x;
    case U_EXP: return fm_exp(x);
    case U_LOG: return fm_log(x);
    case U_SQRT: return fm_sqrt(x);
    case U_RSQRT: return T(1) / fm_sqrt(x);
    case U_RECIPROCAL: return T(1) / x;
    case U_SIN: return fm_sin(x);
    case U_COS: return fm_cos(x);
    case U_TANH: return fm_tanh(x);
    case U_SIGMOID: return fm_sigmoid(x);
    case U_RELU: return x > 0 || fm_isnan(x) ? x : T(0);
    case U_GELU: return x * fm_phi(x);
    case U_GELU_TANH: {
        const T k = T(0.79788456080286535588);  // √(2/π)
        return T(0.5) * x * (T(1) + fm_tanh(k * (x + T(0.044715) * x * x * x)));
    }
    case U_SILU: return x * fm_sigmoid(x);
    case U_ERF: return fm_erf(x);
    default: return fm_nan<T>();
    }
}

// The gradient of an activation in UnaryOp.FUSED_GRADIENT (Kernels.activationBackward), g·op'(x),
// as the composites of GradientRules define it: RELU gives g where x > 0, else 0 (also for an
// infinite or NaN g); GELU' = Φ(x) + x·φ(x).
template <typename T> __device__ __forceinline__ T activation_grad(int op, T x, T g) {
    switch (op) {
    case U_RELU: return x > 0 ? g : T(0);
    case U_GELU: {
        const T inv_sqrt_2pi = T(0.39894228040143267794);  // 1/√(2π)
        return g * (fm_phi(x) + x * (fm_exp(T(-0.5) * x * x) * inv_sqrt_2pi));
    }
    default: return fm_nan<T>();
    }
}

// Java's Math.max/min: NaN if either is NaN, and +0 > -0. (fmaxf would drop the NaN.)
template <typename T> __device__ __forceinline__ T fm_maximum(T a, T b) {
    if (fm_isnan(a) || fm_isnan(b)) return a + b;
    if (a == b) return a == 0 ? a + b : a;  // +0 + -0 = +0
    return a > b ? a : b;
}
template <typename T> __device__ __forceinline__ T fm_minimum(T a, T b) {
    if (fm_isnan(a) || fm_isnan(b)) return a + b;
    if (a == b) return a == 0 ? -(-a - b) : a;  // -0 whenever either zero is -0
    return a < b ? a : b;
}

template <typename T> __device__ __forceinline__ T binary_op(int op, T a, T b) {
    switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return fm_pow(a, b);
    case B_MAXIMUM: return fm_maximum(a, b);
    case B_MINIMUM: return fm_minimum(a, b);
    default: return fm_nan<T>();
    }
}

// I64 maps with Java's wrapping semantics, computed in unsigned arithmetic (signed overflow is
// undefined in C++ and the emulation would not show what the GPU does). Division by zero sets
// *status (see the header comment); LONG_MIN / -1 wraps to LONG_MIN as in Java.
__device__ __forceinline__ i64 wrap_neg(i64 x) { return (i64)(0ULL - (unsigned long long)x); }

__device__ __forceinline__ i64 unary_i64_op(int op, i64 x) {
    switch (op) {
    case U_NEG: return wrap_neg(x);
    case U_ABS: return x < 0 ? wrap_neg(x) : x;
    case U_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
    default: return 0;
    }
}

__device__ __forceinline__ i64 binary_i64_op(int op, i64 a, i64 b, int* status) {
    typedef unsigned long long u64;
    switch (op) {
    case B_ADD: return (i64)((u64)a + (u64)b);
    case B_SUB: return (i64)((u64)a - (u64)b);
    case B_MUL: return (i64)((u64)a * (u64)b);
    case B_DIV:
        if (b == 0) {
            *status = 1;  // a benign race: every writer stores the same value
            return 0;
        }
        return b == -1 ? wrap_neg(a) : a / b;
    case B_MAXIMUM: return a > b ? a : b;
    case B_MINIMUM: return a < b ? a : b;
    default: return 0;
    }
}

// IEEE comparisons: anything with NaN is false, except NE.
template <typename T> __device__ __forceinline__ u8 compare_op(int op, T a, T b) {
    switch (op) {
    case B_EQ: return a == b;
    case B_NE: return a != b;
    case B_LT: return a < b;
    case B_LE: return a <= b;
    case B_GT: return a > b;
    case B_GE: return a >= b;
    default: return 0;
    }
}

__device__ __forceinline__ u8 logical_op(int op, u8 a, u8 b) {
    bool x = a != 0, y = b != 0;
    switch (op) {
    case B_AND: return x && y;
    case B_OR: return x || y;
    case B_XOR:
    case B_NE: return x != y;
    case B_EQ: return x == y;
    default: return 0;
    }
}

// ---- kernel bodies (one template per family) -----------------------------------------------------

// Elements a thread takes per trip; LaunchGeometry.ELEMENTS_PER_THREAD says the same to the host.
#define FATHOM_ILP 4
// Trips of a thread: in each, block b takes the FATHOM_ILP·blockDim.x consecutive elements from
// (trip·gridDim.x + b)·FATHOM_ILP·blockDim.x, a thread every blockDim.x-th of them from its first, i;
// s = blockDim.x is the step between its lanes. So a block reads and writes one contiguous stretch
// per trip, as PyTorch's elementwise kernels do. (The first version stepped its lanes by the whole
// grid, 16 MB apart for 2^24 floats, and an H200 ran a + b at 2.3 TB/s where PyTorch reached 4.1.)
#define FATHOM_TRIPS(i, s, n)                                                                      \
    for (long long s = blockDim.x, i = (long long)blockIdx.x * blockDim.x * FATHOM_ILP + threadIdx.x; i < (n); \
         i += (long long)gridDim.x * blockDim.x * FATHOM_ILP)
// The trip's elements that exist: lane k is element i + k·s. Unrolled, so that the lanes' values
// live in registers (nvcc left a loop with an op switch rolled, and the arrays in local memory).
#ifdef __CUDACC__
#define FATHOM_UNROLL _Pragma("unroll")
#else
#define FATHOM_UNROLL
#endif
#define FATHOM_LANES(k, i, s, n) FATHOM_UNROLL for (int k = 0; k < FATHOM_ILP; ++k) if ((i) + k * (s) < (n))

template <typename T>
__device__ __forceinline__ void fill_body(T* __restrict__ dst, StridedDesc d, i64 n, double value) {
    const T v = Convert<T, double>::apply(value);
    FATHOM_TRIPS(i, s, n) {
        FATHOM_LANES(k, i, s, n) dst[fathom_offset(d, i + k * s)] = v;
    }
}

template <typename S, typename D>
__device__ __forceinline__ void copy_body(const S* src, StridedDesc sd, D* dst, StridedDesc dd, i64 n) {
    FATHOM_TRIPS(i, s, n) {
        S x[FATHOM_ILP] = {};
        FATHOM_LANES(k, i, s, n) x[k] = src[fathom_offset(sd, i + k * s)];
        FATHOM_LANES(k, i, s, n) dst[fathom_offset(dd, i + k * s)] = Convert<D, S>::apply(x[k]);
    }
}

// ---- dense F32 operands: four consecutive floats per 16-byte access -------------------------------
// When every operand of a unary or binary F32 launch is dense (rank 1 once the host merged its
// dims, stride 1) and 16-byte aligned, the tensor is read as quads of four floats, one float4 load
// per input and one store per quad, where the general path loads elements one by one. Quad q goes
// to global thread q mod (gridDim.x·blockDim.x): consecutive threads take consecutive quads, so a
// warp moves 512 contiguous bytes per access. A thread with several quads loads four of them (then
// two) before it stores any, so that its loads overlap. The geometry decides how many: the general
// one (LaunchGeometry.forElementwise) gives one quad per thread, and the host's dense geometry
// (LaunchGeometry.forDenseF32) four per thread for large n, so that fewer, longer blocks keep more
// bytes in flight per thread and retire less often. (On an H200 one quad per thread ran a + b at
// 68% of its bandwidth for 2^24 floats and 73% for 2^26; four ran it at 72% and 82%, PyTorch's
// vectorized kernels at 84% and 89%.) The last n % 4 elements go one per thread. Every other case
// returns false and takes the general path.
__device__ __forceinline__ bool fm_dense4(const float* p, const StridedDesc& d) {
    return d.rank == 1 && d.strides[0] == 1 && (((unsigned long long)(p + d.offset)) & 15) == 0;
}

template <typename T, typename R, typename F>
__device__ __forceinline__ bool map2_dense4(const T*, const StridedDesc&, const T*, const StridedDesc&, R*,
                                            const StridedDesc&, i64, F) {
    return false;
}

// out quad j = f(a quad j, b quad j), lane by lane.
template <typename F> __device__ __forceinline__ fm_f4 fm_map4(const fm_f4& x, const fm_f4& y, F f) {
    fm_f4 r;
    r.x = f(x.x, y.x);
    r.y = f(x.y, y.y);
    r.z = f(x.z, y.z);
    r.w = f(x.w, y.w);
    return r;
}

template <typename F>
__device__ __forceinline__ bool map2_dense4(const float* a, const StridedDesc& ad, const float* b, const StridedDesc& bd,
                                            float* out, const StridedDesc& od, i64 n, F f) {
    if (!fm_dense4(a, ad) || !fm_dense4(b, bd) || !fm_dense4(out, od)) return false;
    const fm_f4* a4 = (const fm_f4*)(a + ad.offset);
    const fm_f4* b4 = (const fm_f4*)(b + bd.offset);
    fm_f4* o4 = (fm_f4*)(out + od.offset);
    const i64 quads = n / 4, gs = (i64)gridDim.x * blockDim.x, first = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    i64 q = first;
    for (; q + 3 * gs < quads; q += 4 * gs) {
        fm_f4 x0 = a4[q], x1 = a4[q + gs], x2 = a4[q + 2 * gs], x3 = a4[q + 3 * gs];
        fm_f4 y0 = b4[q], y1 = b4[q + gs], y2 = b4[q + 2 * gs], y3 = b4[q + 3 * gs];
        o4[q] = fm_map4(x0, y0, f);
        o4[q + gs] = fm_map4(x1, y1, f);
        o4[q + 2 * gs] = fm_map4(x2, y2, f);
        o4[q + 3 * gs] = fm_map4(x3, y3, f);
    }
    for (; q + gs < quads; q += 2 * gs) {
        fm_f4 x0 = a4[q], x1 = a4[q + gs], y0 = b4[q], y1 = b4[q + gs];
        o4[q] = fm_map4(x0, y0, f);
        o4[q + gs] = fm_map4(x1, y1, f);
    }
    if (q < quads) o4[q] = fm_map4(a4[q], b4[q], f);
    const i64 j = 4 * quads + first;
    if (j < n) out[od.offset + j] = f(a[ad.offset + j], b[bd.offset + j]);
    return true;
}

template <typename T> struct UnaryF {
    int op;
    __device__ __forceinline__ T operator()(T a, T) const { return unary_op(op, a); }
};

// No __restrict__ on unary/binary/where operands: an in-place op passes the same buffer as x and
// out. Loading a trip's four inputs before storing is still right in place: each output element
// is computed from the inputs at its own index.
template <typename T>
__device__ __forceinline__ void unary_body(int op, const T* x, StridedDesc xd, T* out, StridedDesc od, i64 n) {
    // A unary map is a map of x with itself that ignores its second operand (nvcc loads x once).
    if (map2_dense4(x, xd, x, xd, out, od, n, UnaryF<T>{op})) return;
    FATHOM_TRIPS(i, s, n) {
        T v[FATHOM_ILP] = {};
        FATHOM_LANES(k, i, s, n) v[k] = x[fathom_offset(xd, i + k * s)];
        FATHOM_LANES(k, i, s, n) out[fathom_offset(od, i + k * s)] = unary_op(op, v[k]);
    }
}

// out = f(a, b) elementwise, for every family of two operands (binary, compare, logical, I64).
template <typename T, typename R, typename F>
__device__ __forceinline__ void map2_body(const T* a, StridedDesc ad, const T* b, StridedDesc bd, R* out, StridedDesc od,
                                          i64 n, F f) {
    if (map2_dense4(a, ad, b, bd, out, od, n, f)) return;
    FATHOM_TRIPS(i, s, n) {
        T x[FATHOM_ILP] = {}, y[FATHOM_ILP] = {};
        FATHOM_LANES(k, i, s, n) {
            x[k] = a[fathom_offset(ad, i + k * s)];
            y[k] = b[fathom_offset(bd, i + k * s)];
        }
        FATHOM_LANES(k, i, s, n) out[fathom_offset(od, i + k * s)] = f(x[k], y[k]);
    }
}

template <typename T> struct BinaryF {
    int op;
    __device__ __forceinline__ T operator()(T a, T b) const { return binary_op(op, a, b); }
};
template <typename T> struct CompareF {
    int op;
    __device__ __forceinline__ u8 operator()(T a, T b) const { return compare_op(op, a, b); }
};
struct BinaryI64F {
    int op;
    int* status;
    __device__ __forceinline__ i64 operator()(i64 a, i64 b) const { return binary_i64_op(op, a, b, status); }
};
template <typename T> struct ActivationGradF {
    int op;
    __device__ __forceinline__ T operator()(T x, T g) const { return activation_grad(op, x, g); }
};
struct LogicalF {
    int op;
    __device__ __forceinline__ u8 operator()(u8 a, u8 b) const { return logical_op(op, a, b); }
};

template <typename T>
__device__ __forceinline__ void where_body(const u8* c, StridedDesc cd, const T* a, StridedDesc ad, const T* b,
                                           StridedDesc bd, T* out, StridedDesc od, i64 n) {
    FATHOM_TRIPS(i, s, n) {
        u8 m[FATHOM_ILP] = {};
        T x[FATHOM_ILP] = {}, y[FATHOM_ILP] = {};
        FATHOM_LANES(k, i, s, n) {
            m[k] = c[fathom_offset(cd, i + k * s)];
            x[k] = a[fathom_offset(ad, i + k * s)];
            y[k] = b[fathom_offset(bd, i + k * s)];
        }
        FATHOM_LANES(k, i, s, n) out[fathom_offset(od, i + k * s)] = m[k] ? x[k] : y[k];
    }
}

// ---- entry points ---------------------------------------------------------------------------------

#define FATHOM_FILL(T, t)                                                                        \
    extern "C" __global__ void fill_##t(T* dst, StridedDesc d, i64 n, double value) {            \
        fm_grid_dependency();                                                                    \
        fill_body<T>(dst, d, n, value);                                                          \
    }
FATHOM_FILL(float, f32)
FATHOM_FILL(double, f64)
FATHOM_FILL(i64, i64)
FATHOM_FILL(u8, u8)

#define FATHOM_COPY(S, s, D, d)                                                                  \
    extern "C" __global__ void copy_##s##_##d(const S* src, StridedDesc sd, D* dst, StridedDesc dd, i64 n) { \
        fm_grid_dependency();                                                                    \
        copy_body<S, D>(src, sd, dst, dd, n);                                                    \
    }
#define FATHOM_COPY_FROM(S, s)                                                                   \
    FATHOM_COPY(S, s, float, f32) FATHOM_COPY(S, s, double, f64) FATHOM_COPY(S, s, i64, i64)     \
    FATHOM_COPY(S, s, u8, u8)
FATHOM_COPY_FROM(float, f32)
FATHOM_COPY_FROM(double, f64)
FATHOM_COPY_FROM(i64, i64)
FATHOM_COPY_FROM(u8, u8)

#define FATHOM_FLOAT_MAPS(T, t)                                                                  \
    extern "C" __global__ void unary_##t(int op, const T* x, StridedDesc xd, T* out, StridedDesc od, i64 n) { \
        fm_grid_dependency();                                                                    \
        unary_body<T>(op, x, xd, out, od, n);                                                    \
    }                                                                                            \
    extern "C" __global__ void binary_##t(int op, const T* a, StridedDesc ad, const T* b, StridedDesc bd, \
                                          T* out, StridedDesc od, i64 n) {                       \
        fm_grid_dependency();                                                                    \
        map2_body(a, ad, b, bd, out, od, n, BinaryF<T>{op});                                     \
    }                                                                                            \
    extern "C" __global__ void compare_##t(int op, const T* a, StridedDesc ad, const T* b, StridedDesc bd, \
                                           u8* out, StridedDesc od, i64 n) {                     \
        fm_grid_dependency();                                                                    \
        map2_body(a, ad, b, bd, out, od, n, CompareF<T>{op});                                    \
    }                                                                                            \
    extern "C" __global__ void where_##t(const u8* c, StridedDesc cd, const T* a, StridedDesc ad, \
                                         const T* b, StridedDesc bd, T* out, StridedDesc od, i64 n) { \
        fm_grid_dependency();                                                                    \
        where_body<T>(c, cd, a, ad, b, bd, out, od, n);                                          \
    }                                                                                            \
    extern "C" __global__ void activation_backward_##t(int op, const T* x, StridedDesc xd, const T* g, \
                                                       StridedDesc gd, T* out, StridedDesc od, i64 n) { \
        fm_grid_dependency();                                                                    \
        map2_body(x, xd, g, gd, out, od, n, ActivationGradF<T>{op});                             \
    }
FATHOM_FLOAT_MAPS(float, f32)
FATHOM_FLOAT_MAPS(double, f64)

extern "C" __global__ void unary_i64(int op, const i64* x, StridedDesc xd, i64* out, StridedDesc od, i64 n) {
    fm_grid_dependency();
    FATHOM_TRIPS(i, s, n) {
        i64 v[FATHOM_ILP] = {};
        FATHOM_LANES(k, i, s, n) v[k] = x[fathom_offset(xd, i + k * s)];
        FATHOM_LANES(k, i, s, n) out[fathom_offset(od, i + k * s)] = unary_i64_op(op, v[k]);
    }
}

extern "C" __global__ void binary_i64(int op, const i64* a, StridedDesc ad, const i64* b, StridedDesc bd, i64* out,
                                      StridedDesc od, i64 n, int* status) {
    fm_grid_dependency();
    map2_body(a, ad, b, bd, out, od, n, BinaryI64F{op, status});
}

extern "C" __global__ void compare_i64(int op, const i64* a, StridedDesc ad, const i64* b, StridedDesc bd, u8* out,
                                       StridedDesc od, i64 n) {
    fm_grid_dependency();
    map2_body(a, ad, b, bd, out, od, n, CompareF<i64>{op});
}

extern "C" __global__ void where_i64(const u8* c, StridedDesc cd, const i64* a, StridedDesc ad, const i64* b,
                                     StridedDesc bd, i64* out, StridedDesc od, i64 n) {
    fm_grid_dependency();
    where_body<i64>(c, cd, a, ad, b, bd, out, od, n);
}

extern "C" __global__ void where_u8(const u8* c, StridedDesc cd, const u8* a, StridedDesc ad, const u8* b,
                                    StridedDesc bd, u8* out, StridedDesc od, i64 n) {
    fm_grid_dependency();
    where_body<u8>(c, cd, a, ad, b, bd, out, od, n);
}

extern "C" __global__ void unary_u8(int op, const u8* x, StridedDesc xd, u8* out, StridedDesc od, i64 n) {
    fm_grid_dependency();
    FATHOM_TRIPS(i, s, n) {
        u8 v[FATHOM_ILP] = {};
        FATHOM_LANES(k, i, s, n) v[k] = x[fathom_offset(xd, i + k * s)];
        FATHOM_LANES(k, i, s, n) out[fathom_offset(od, i + k * s)] = op == U_NOT ? (v[k] == 0) : 0;
    }
}

extern "C" __global__ void binary_u8(int op, const u8* a, StridedDesc ad, const u8* b, StridedDesc bd, u8* out,
                                     StridedDesc od, i64 n) {
    fm_grid_dependency();
    map2_body(a, ad, b, bd, out, od, n, LogicalF{op});
}
