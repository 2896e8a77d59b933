// Shared helpers of Fathom's CUDA kernels.
//
// Every .cu file under src/main/cuda compiles two ways: with nvcc to PTX (scripts/build-kernels)
// and, for the kernel emulation tests, as plain C++ with g++ against
// src/test/cuda/cuda_emu.h, which defines the CUDA built-ins this header relies on. So this
// header uses only what both provide: no CUDA headers, no intrinsics the shim lacks.
#pragma once

// The most dimensions a kernel operand may have. The Java side rejects larger ranks before a
// launch (a tensor of rank > 8 can be made contiguous and viewed with fewer dims).
#define FATHOM_MAX_RANK 8

// A strided operand, passed to kernels by value (144 bytes; well under the 4 KB parameter limit).
// Element (i0, ..., i{rank-1}) lives at offset + Σ ik·strides[k] (in elements). Mirrors
// dev.fathom.spi.Strided; 64-bit everywhere because buffers may exceed 2^31 elements.
// Layout (fixed, the Java launcher packs it byte by byte): int rank; int pad; long long offset;
// long long sizes[8]; long long strides[8].
struct StridedDesc {
    int rank;
    int pad;
    long long offset;
    long long sizes[FATHOM_MAX_RANK];
    long long strides[FATHOM_MAX_RANK];
};

// The storage offset of the i-th element in row-major order of d's shape. Every operand of one
// elementwise launch has the output's shape (broadcast dims have stride 0), so the same flat
// index addresses all of them. The host merges dims that every operand of a launch steps through
// as one (dev.fathom.cuda.StridedDesc.packCoalesced), so contiguous operands arrive as rank 1 and
// take no division at all. Otherwise one division per dim, in 32 bits whenever the index and the
// size fit (a 64-bit division is a long software sequence on the GPU, ~4x the 32-bit one).
__device__ __forceinline__ long long fathom_offset(const StridedDesc& d, long long i) {
    if (d.rank == 1) return d.offset + i * d.strides[0];
    long long off = d.offset;
    for (int k = d.rank - 1; k >= 0; --k) {
        long long s = d.sizes[k], q;
        if (((unsigned long long)(i | s) >> 32) == 0) {
            q = (long long)((unsigned)i / (unsigned)s);
        } else {
            q = i / s;
        }
        off += (i - q * s) * d.strides[k];
        i = q;
    }
    return off;
}

// Programmatic dependent launch (Hopper, sm_90, and later). Every kernel calls this first, before
// it touches memory (scripts/check-kernels checks the sm_90 code): it lets the next launch on its
// stream begin at once (launch_dependents), and waits until the kernel before it has finished and
// its writes are visible (wait). With -Dfathom.cuda.pdl=true the host launches the kernels with
// CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION where the GPU runs this code compiled for
// sm_90 (dev.fathom.cuda.KernelLauncher#programmatic), so that a launch and its block dispatch
// overlap the end of the kernel before it. Without that attribute, and in code compiled for older
// GPUs (the shipped PTX, the emulation), it does nothing.
__device__ __forceinline__ void fm_grid_dependency() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// Four floats as one 16-byte access: CUDA's float4, or the same layout in the emulation (g++).
#if defined(__CUDACC__)
typedef float4 fm_f4;
#else
struct alignas(16) fm_f4 {
    float x, y, z, w;
};
#endif

// Grid-stride loop over n elements: one thread per element while the grid covers n, and each
// thread takes every (gridDim.x·blockDim.x)-th element when the launcher capped the grid
// (dev.fathom.cuda.LaunchGeometry), so any n runs with any grid.
#define FATHOM_GRID_STRIDE(i, n)                                                                \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                \
         i += (long long)blockDim.x * gridDim.x)

// A bad element found by a kernel that checks its data (an index out of range), noted in the
// launch's fault slot (dev.fathom.cuda.DeviceChecks), which the host keeps at 0 until it reads it
// at its next wait. The slot takes ~(position << 32 | value), position clamped to 32 bits and the
// value to an int, through atomicMax: the least key wins, so the host sees the first bad element in
// row-major order and its value, whichever thread got there first.
// fathom_note_fault_bits takes the value's 32 bits as they are (a float's, for a check of floats).
__device__ __forceinline__ void fathom_note_fault_bits(unsigned long long* slot, long long position, unsigned bits) {
    unsigned long long p = position < 0xffffffffLL ? (unsigned long long)position : 0xffffffffULL;
    atomicMax(slot, ~(p << 32 | bits));
}
__device__ __forceinline__ void fathom_note_fault(unsigned long long* slot, long long position, long long value) {
    int v = value > 2147483647LL ? 2147483647 : value < -2147483647LL - 1 ? (int)(-2147483647LL - 1) : (int)value;
    fathom_note_fault_bits(slot, position, (unsigned)v);
}

// Dynamic shared memory (the launch's sharedMemBytes) as a T*: one declaration for nvcc, while
// the emulation shim defines this macro first and maps it to a per-launch buffer.
#ifndef FATHOM_DYNAMIC_SHARED
#define FATHOM_DYNAMIC_SHARED(T, name)                                                          \
    extern __shared__ __align__(16) unsigned char fathom_dynamic_shared[];                      \
    T* name = reinterpret_cast<T*>(fathom_dynamic_shared)
#endif

// Op codes: the ordinal of the Java constant. Keep the order of dev.fathom.spi.UnaryOp and
// dev.fathom.spi.BinaryOp: KernelEmulationTest compares these lists with the Java enums.
enum FathomUnaryOp {
    U_NEG, U_ABS, U_SIGN, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_RECIPROCAL, U_SIN, U_COS, U_TANH,
    U_SIGMOID, U_RELU, U_GELU, U_GELU_TANH, U_SILU, U_ERF, U_NOT
};
enum FathomBinaryOp {
    B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAXIMUM, B_MINIMUM, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE,
    B_AND, B_OR, B_XOR
};

// Precision-matched math: one overload per dtype so templates call the float function for F32
// (expf, not exp: the double one would be slow and would change F32 results) and the double one
// for F64.
#define FATHOM_MATH1(name, f32, f64)                                                            \
    __device__ __forceinline__ float name(float x) { return f32(x); }                            \
    __device__ __forceinline__ double name(double x) { return f64(x); }
FATHOM_MATH1(fm_exp, expf, exp)
FATHOM_MATH1(fm_log, logf, log)
FATHOM_MATH1(fm_sqrt, sqrtf, sqrt)
FATHOM_MATH1(fm_sin, sinf, sin)
FATHOM_MATH1(fm_cos, cosf, cos)
FATHOM_MATH1(fm_tanh, tanhf, tanh)
FATHOM_MATH1(fm_erf, erff, erf)
FATHOM_MATH1(fm_erfc, erfcf, erfc)
FATHOM_MATH1(fm_fabs, fabsf, fabs)
#undef FATHOM_MATH1
__device__ __forceinline__ float fm_pow(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double fm_pow(double a, double b) { return pow(a, b); }

// 1/(1+e^-x) with the exponent always of -|x|, so it never overflows. UnaryOp.SIGMOID
// (elementwise.cu) and the LSTM gates (recurrent.cu) share it, so a fused cell's gates are the
// unary kernel's bit for bit.
template <typename T> __device__ __forceinline__ T fm_sigmoid(T x) {
    if (x >= 0) return T(1) / (T(1) + fm_exp(-x));
    T e = fm_exp(x);
    return e / (T(1) + e);
}

// NaN test that survives fast-math flags and needs no header: NaN is the only value unequal to itself.
template <typename T> __device__ __forceinline__ bool fm_isnan(T x) { return x != x; }

// Java's (long) cast of a float or double: NaN → 0, out-of-range saturates, else truncation
// toward zero. PTX cvt.rzi.s64 does the same on the GPU; spelling it out keeps the C++ emulation
// (where an out-of-range cast is undefined) equal to it.
template <typename T> __device__ __forceinline__ long long fm_to_i64(T x) {
    if (fm_isnan(x)) return 0;
    if (x >= (T)9223372036854775807.0) return 9223372036854775807LL;
    if (x <= (T)-9223372036854775808.0) return (-9223372036854775807LL - 1);
    return (long long)x;
}
