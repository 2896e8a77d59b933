// Indexing kernels (Kernels.gather, Kernels.scatterAdd), one thread per index element, and the
// range check (Kernels.checkRange) that class targets, embedding ids and probabilities get.
//
// Shapes: both kernels walk the INDEX tensor's shape (n = its numel) with a grid-stride loop
// (FATHOM_GRID_STRIDE; geometry from dev.fathom.cuda.LaunchGeometry.forElements(n)), like
// dev.fathom.cpu.IndexKernels. The host passes the data operand that `dim` indexes into as a
// StridedDesc with the index's sizes, its own strides and offset, and stride 0 on dim, plus that
// operand's real size and stride along dim; the index value j then adds j·dim_stride. So the
// kernels never apply a shape rule: the tensor layer has checked shapes and dtypes.
//
// Entries (extern "C"; t = f32, f64, i64):
//   gather_<t>(const T* x, StridedDesc xd, i64 dim_size, i64 dim_stride, const i64* index,
//              StridedDesc id, T* out, StridedDesc od, i64 n, unsigned long long* fault)
//     out[i] = x[xd(i) + index[i]·dim_stride]
//   scatter_add_<t>(const T* src, StridedDesc sd, const i64* index, StridedDesc id, T* out,
//              StridedDesc od, i64 dim_size, i64 dim_stride, i64 n, unsigned long long* fault)
//     out[od(i) + index[i]·dim_stride] += src[i], with atomicAdd, so repeated indices accumulate.
//     Unlike the CPU's serial loop the order of the additions is not fixed: F32/F64 results
//     may differ from run to run by rounding (I64 adds wrap and are exact).
//   check_range_<t>(const T* x, i64 n, double lo, double hi, double allowed, unsigned long long* fault)
//     x contiguous: an element outside [lo, hi] (NaN always is) that is not `allowed` (an ignore
//     index; NaN for none) is noted in the fault slot, its value as an int (I64) or as a float's
//     bits (F32, F64 rounded to F32). Compares in double: exact for I64 within ±2^53, and a larger
//     value is outside any range the tensor layer asks for.
// Bounds: an index outside [0, dim_size) writes nothing (gather writes 0) and is noted in the
// launch's fault slot (fathom_note_fault: its position in the index and its value); the host
// reads the slot at its next wait and throws IndexOutOfBoundsException for the first one.
#include "fathom_kernels.cuh"

typedef long long i64;

template <typename T> __device__ __forceinline__ void fm_atomic_add(T* p, T v) { atomicAdd(p, v); }
// 64-bit integer atomicAdd exists only for unsigned long long; two's complement makes it the same.
template <> __device__ __forceinline__ void fm_atomic_add<i64>(i64* p, i64 v) {
    atomicAdd(reinterpret_cast<unsigned long long*>(p), (unsigned long long)v);
}

template <typename T>
__device__ void gather_impl(const T* x, const StridedDesc& xd, i64 dim_size, i64 dim_stride, const i64* index,
                            const StridedDesc& id, T* out, const StridedDesc& od, i64 n, unsigned long long* fault) {
    FATHOM_GRID_STRIDE(i, n) {
        i64 j = index[fathom_offset(id, i)];
        T v = 0;
        if (j < 0 || j >= dim_size) {
            fathom_note_fault(fault, i, j);
        } else {
            v = x[fathom_offset(xd, i) + j * dim_stride];
        }
        out[fathom_offset(od, i)] = v;
    }
}

template <typename T>
__device__ void scatter_add_impl(const T* src, const StridedDesc& sd, const i64* index, const StridedDesc& id, T* out,
                                 const StridedDesc& od, i64 dim_size, i64 dim_stride, i64 n, unsigned long long* fault) {
    FATHOM_GRID_STRIDE(i, n) {
        i64 j = index[fathom_offset(id, i)];
        if (j < 0 || j >= dim_size) {
            fathom_note_fault(fault, i, j);
        } else {
            fm_atomic_add(out + fathom_offset(od, i) + j * dim_stride, src[fathom_offset(sd, i)]);
        }
    }
}

#define FATHOM_INDEX(t, T)                                                                        \
    extern "C" __global__ void gather_##t(const T* x, StridedDesc xd, i64 dim_size, i64 dim_stride,      \
                                          const i64* index, StridedDesc id, T* out, StridedDesc od, i64 n, \
                                          unsigned long long* fault) {                             \
        fm_grid_dependency();                                                                     \
        gather_impl<T>(x, xd, dim_size, dim_stride, index, id, out, od, n, fault);                \
    }                                                                                             \
    extern "C" __global__ void scatter_add_##t(const T* src, StridedDesc sd, const i64* index, StridedDesc id, \
                                               T* out, StridedDesc od, i64 dim_size, i64 dim_stride, i64 n, \
                                               unsigned long long* fault) {                        \
        fm_grid_dependency();                                                                     \
        scatter_add_impl<T>(src, sd, index, id, out, od, dim_size, dim_stride, n, fault);         \
    }
FATHOM_INDEX(f32, float)
FATHOM_INDEX(f64, double)
FATHOM_INDEX(i64, i64)
#undef FATHOM_INDEX

// ---- range check --------------------------------------------------------------------------------

// A bad element's value in the fault slot: an I64 clamped to an int, a float's bits (F64 rounded).
__device__ __forceinline__ void note_bad(unsigned long long* fault, i64 i, i64 v) { fathom_note_fault(fault, i, v); }
__device__ __forceinline__ void note_bad(unsigned long long* fault, i64 i, double v) {
    float f = (float)v;
    unsigned bits;
    memcpy(&bits, &f, sizeof bits);
    fathom_note_fault_bits(fault, i, bits);
}
__device__ __forceinline__ void note_bad(unsigned long long* fault, i64 i, float v) { note_bad(fault, i, (double)v); }

template <typename T>
__device__ void check_range_impl(const T* x, i64 n, double lo, double hi, double allowed, unsigned long long* fault) {
    FATHOM_GRID_STRIDE(i, n) {
        T v = x[i];
        double d = (double)v;
        if (!(d >= lo && d <= hi) && !(d == allowed)) note_bad(fault, i, v);
    }
}

#define FATHOM_CHECK_RANGE(t, T)                                                                  \
    extern "C" __global__ void check_range_##t(const T* x, i64 n, double lo, double hi, double allowed, \
                                               unsigned long long* fault) {                        \
        fm_grid_dependency();                                                                     \
        check_range_impl<T>(x, n, lo, hi, allowed, fault);                                        \
    }
FATHOM_CHECK_RANGE(f32, float)
FATHOM_CHECK_RANGE(f64, double)
FATHOM_CHECK_RANGE(i64, i64)
#undef FATHOM_CHECK_RANGE
