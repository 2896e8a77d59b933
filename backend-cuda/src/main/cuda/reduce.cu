// Reductions (Kernels.reduce): SUM, MAX, MIN, ARGMAX, ARGMIN over rows or columns.
//
// Contract with the host (dev.fathom.cuda.ReduceLaunches): the rows kernels take x when the
// reduced axes form ONE contiguous inner run of `inner` elements and the kept axes one outer
// range of `outer` rows. Element j of row r is x[x_offset + r·row_stride + j] (row_stride ≥ inner
// for a plain [outer, inner] view; 0 would re-read one row), and row r's result goes to
// out[out_offset + r] (the output is contiguous, as Kernels.reduce promises). The column kernels
// (below) take the layouts whose kept axes follow the reduced run. The host copies any other
// layout into rows first, except [R1, K, R2] with R2 contiguous (a conv bias gradient), whose rows
// it reduces into a [R1, K] temporary and then that temporary's columns.
//
// Launch: one block per row, rows grid-strided (a capped grid loops); blockDim.x a multiple of
// 32, at most 1024 (dev.fathom.cuda.LaunchGeometry's 256 fits). No dynamic shared memory: each
// warp folds its threads' partials with shuffles, warp 0 folds the ≤ 32 warp partials from a
// static __shared__ array.
//
// Entries (extern "C"):
//   reduce_f32, reduce_f64, reduce_i64 (int op, const T* x, i64 x_offset, i64 row_stride,
//       i64 inner, void* out, i64 out_offset, i64 outer)
//     op = dev.fathom.spi.ReduceOp ordinal. SUM/MAX/MIN write T, ARGMAX/ARGMIN write i64 (the
//     first index of the extreme; NaN counts as the extreme and the first NaN wins, as the CPU).
//     An empty row (inner = 0) writes 0 for SUM, NaN (I64: 0) for MAX/MIN and -1 for ARG*, like
//     dev.fathom.cpu.ReduceKernels; the tensor layer rejects those calls before they get here.
//   reduce_u8  same arguments, SUM only: counts the nonzero bytes of BOOL x into an i64 output.
//
// Split rows: one block per row leaves a GPU idle when there are few long rows (a full sum is one
// row: one block of 256 threads took 25 ms for 2^24 floats on an H200). The host then cuts each
// row into `splits` chunks of `chunk` elements (the last may be shorter, none is empty), and one
// launch reduces the chunks and folds each row's results:
//   reduce_split_<t>(int op, const T* x, i64 x_offset, i64 row_stride, i64 inner, i64 chunk,
//       i64 splits, void* part_val, i64* part_idx, unsigned* tickets, void* out, i64 out_offset,
//       i64 outer)
//     block b (grid-strided over outer·splits) reduces chunk b % splits of row b / splits into
//     slot b: SUM writes the chunk's sum in its accumulator type (F64 for floats, wrapping u64
//     for integers and BOOL counts), the others write the extreme's value as T to part_val and
//     its index within the row to part_idx (unused, may be null, for SUM). Then it takes a ticket
//     from tickets[r] (an atomic counter); the block that takes row r's last one folds the row's
//     slots, with the same rules, into out[out_offset + r] and sets tickets[r] back to 0. The
//     host keeps one zeroed counter per row that may be split (dev.fathom.cuda.ReduceLaunches),
//     so a row's merge costs no second launch (a 2^24-float sum is about 20 µs of reading on an
//     H100; a launch is several µs of it), and the slot order, not the blocks' finishing order,
//     decides how the results combine: the result is the same every run.
// Columns: when the kept axes lie on both sides of the reduced ones (a bias gradient sums [N, C]
// over N; a dim-1 reduction of [A, R, B]), a row would be R elements B apart, and copying x into
// rows first reads it twice and writes it once more. The column kernels read x where it is:
//   reduce_cols_<t>(int op, const T* x, i64 x_offset, i64 outer_stride, i64 row_stride,
//       i64 col_stride, i64 outer, i64 rows, i64 cols, i64 chunk, i64 splits, void* part_val,
//       i64* part_idx, unsigned* tickets, void* out, i64 out_offset)
//     element (a, r, c) is x[x_offset + a·outer_stride + r·row_stride + c·col_stride], and the
//     result of (a, c) over r goes to out[out_offset + a·cols + c]. A block takes a tile of 32
//     columns of one a (fewer when there are fewer columns: col_tile_width) and a chunk of `chunk`
//     rows, its walkers reading interleaved rows. With splits > 1 a tile's chunks are its blocks,
//     each writes 32 slots (the first `width` used), and the tile's last block folds them in slot
//     order (tickets[tile], as for split rows); with splits = 1 (chunk ≥ rows) no slot, part_idx,
//     or ticket is touched. ARG* indices count r. reduce_cols_u8 is SUM only (i64 counts).
// Two F32 SUM specializations (see their comments below): reduce_sum_f32, a full sum of one aligned
// row (reduce_split_f32's SUM path alone, the same bits), and reduce_cols_sum_f32x4, column sums
// whose columns are contiguous and start on 16 bytes, a quad of columns per lane.
// F32 sums keep their accuracy: each chunk is summed as a row is (F32 only in short runs, carried
// in F64) and the chunks' sums are added in F64. ARG* keeps the first index of the extreme: slots
// carry the index, and arg_better breaks ties by it whatever order they combine in.
// Accuracy: an F32 row that starts on 16 bytes (every whole tensor and split chunk) adds each
// thread's floats in groups of 16, pairwise in F32 (quad_sum), and carries the groups' sums in F64;
// other rows add each thread's elements in F32 with Kahan compensation (Kahan 1965, "Further
// remarks on reducing truncation errors") for at most FATHOM_F32_RUN of them and carry those in F64.
// Either way the F64 carry also folds the tree, so 10^7 ones sum to exactly 1e7 and random data
// matches an F64 sum to ~1e-7 of the magnitudes' sum before the final rounding to F32. (A plain F32
// run over a thread's whole share rounds the same way every step for equal values: 10^7 × 0.1f came
// out 2e-6 high.) Neither has a multiply, so nvcc's FMA contraction cannot change them. F64 sums
// add in F64 (a thread's run is at most inner/blockDim long, then a tree: pairwise-like error).
// I64 sums wrap like Java's long (unsigned arithmetic, so no C++ overflow UB in the emulator).
#include "fathom_kernels.cuh"

typedef unsigned char u8;
typedef long long i64;

enum FathomReduceOp { R_SUM, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN };

// Elements a thread adds in F32 (compensated) before carrying into F64: keeps the run's magnitude,
// and so its compensated error, small; long enough that the F64 adds are rare.
#define FATHOM_F32_RUN 256

// The accumulator of a sum: F64 for floating inputs, unsigned 64-bit (wrapping) for integers.
template <typename T> struct SumAcc { typedef double type; };
template <> struct SumAcc<i64> { typedef unsigned long long type; };
template <> struct SumAcc<u8> { typedef unsigned long long type; };

// n / d and n % d for a block index n < total. A 64-bit division is a long subroutine on the GPU,
// and every block runs this one before its first load, which holds up a one-wave grid's whole
// stream; one row (d >= total: a full reduction) needs none.
struct BlockSplit {
    i64 q, r;
};
__device__ __forceinline__ BlockSplit split_block(i64 n, i64 d, i64 total) {
    if (d >= total) return {0, n};
    return {n / d, n % d};
}

// Sum of a block's values: warp shuffles, then warp 0 over the warps' partials. Every thread
// must call it; the result is valid in thread 0.
template <typename A> __device__ __forceinline__ A block_sum(A v) {
    __shared__ A warp_part[32];
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = (blockDim.x + 31) / 32;
    for (int d = 16; d > 0; d >>= 1) v += __shfl_down_sync(0xffffffffu, v, d);
    if (lane == 0) warp_part[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < warps ? warp_part[lane] : A(0);
        for (int d = 16; d > 0; d >>= 1) v += __shfl_down_sync(0xffffffffu, v, d);
    }
    __syncthreads();  // warp_part is reused by the next row of a grid-strided block
    return v;
}

// (value, index) pair of an arg-reduction; idx < 0 means "no element yet".
// True when (v, iv) should replace (best, ib) as the MAX (want_max) or MIN: NaN beats numbers,
// a strictly better value wins, and between equal values (or two NaNs) the lower index wins, so
// the result is the first extreme whatever order the partials combine in.
template <typename T> __device__ __forceinline__ bool arg_better(bool want_max, T v, i64 iv, T best, i64 ib) {
    if (iv < 0) return false;
    if (ib < 0) return true;
    bool vn = fm_isnan(v), bn = fm_isnan(best);
    if (vn || bn) return vn && (!bn || iv < ib);
    if (v == best) return iv < ib;
    return want_max ? v > best : v < best;
}

template <typename T>
__device__ __forceinline__ void block_arg(bool want_max, T& v, i64& iv) {
    __shared__ T warp_val[32];
    __shared__ i64 warp_idx[32];
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = (blockDim.x + 31) / 32;
    for (int d = 16; d > 0; d >>= 1) {
        T ov = __shfl_down_sync(0xffffffffu, v, d);
        i64 oi = __shfl_down_sync(0xffffffffu, iv, d);
        if (lane + d < 32 && arg_better(want_max, ov, oi, v, iv)) {
            v = ov;
            iv = oi;
        }
    }
    if (lane == 0) {
        warp_val[warp] = v;
        warp_idx[warp] = iv;
    }
    __syncthreads();
    if (warp == 0) {
        v = lane < warps ? warp_val[lane] : v;
        iv = lane < warps ? warp_idx[lane] : -1;
        for (int d = 16; d > 0; d >>= 1) {
            T ov = __shfl_down_sync(0xffffffffu, v, d);
            i64 oi = __shfl_down_sync(0xffffffffu, iv, d);
            if (lane + d < 32 && arg_better(want_max, ov, oi, v, iv)) {
                v = ov;
                iv = oi;
            }
        }
    }
    __syncthreads();
}

template <typename T> __device__ __forceinline__ T empty_extreme() {
    T z = 0;
    return z / z;  // NaN, as the CPU backend leaves an empty MAX/MIN
}
template <> __device__ __forceinline__ i64 empty_extreme<i64>() { return 0; }

// Calls f(x, j) for a thread's elements of row[0, len), j = threadIdx.x, + blockDim.x, ..., in
// rising j, loading four before using any. A reduction is memory-bound and each thread's loop
// carries a dependency, so with one load at a time the resident threads keep about a third of the
// bytes in flight that an H200's bandwidth × latency asks for; four at a time cover it.
template <typename T, typename F> __device__ __forceinline__ void thread_walk(const T* row, i64 len, F& f) {
    const i64 step = blockDim.x;
    i64 j = threadIdx.x;
    for (; j + 3 * step < len; j += 4 * step) {
        T x0 = row[j], x1 = row[j + step], x2 = row[j + 2 * step], x3 = row[j + 3 * step];
        f(x0, j);
        f(x1, j + step);
        f(x2, j + 2 * step);
        f(x3, j + 3 * step);
    }
    for (; j < len; j += step) f(row[j], j);
}

// A thread's sum in its accumulator type (BOOL: a count of the nonzero bytes).
template <typename T> struct PlainSum {
    typename SumAcc<T>::type acc = 0;
    __device__ __forceinline__ void operator()(T x, i64) { acc += (typename SumAcc<T>::type)x; }
};
template <> struct PlainSum<u8> {
    unsigned long long acc = 0;
    __device__ __forceinline__ void operator()(u8 x, i64) { acc += x != 0; }
};

// F32: runs of FATHOM_F32_RUN added in F32 with Kahan compensation, carried in F64.
struct KahanRuns {
    double acc = 0;
    float run = 0, comp = 0;  // comp holds the low bits the last F32 add dropped
    int k = 0;
    __device__ __forceinline__ void operator()(float x, i64) {
        float y = x - comp;
        float t = run + y;
        // Once the run is infinite (or NaN) there are no low bits to keep, and (t - run) - y would
        // be inf - inf = NaN: a sum with one +inf must stay +inf, as an F64 sum does.
        comp = t - t == 0.0f ? (t - run) - y : 0.0f;
        run = t;
        if (++k == FATHOM_F32_RUN) {
            acc += (double)run - (double)comp;
            run = 0;
            comp = 0;
            k = 0;
        }
    }
    // The sum so far: the carried runs plus the open run, its lost low bits taken back.
    __device__ __forceinline__ double total() const { return acc + ((double)run - (double)comp); }
};

// One thread's share of a row's sum.
template <typename T> __device__ __forceinline__ typename SumAcc<T>::type thread_sum(const T* row, i64 inner) {
    PlainSum<T> f;
    thread_walk(row, inner, f);
    return f.acc;
}
// F32 rows that start on 16 bytes (a whole tensor, and split chunks: the host rounds their length to
// a multiple of 4) are read four floats per access: thread t takes quads t, t + s, ... (s =
// blockDim.x) four at a time, so a thread has 64 bytes in flight where scalar loads had 16. (Scalar
// loads kept about 32 KB in flight per multiprocessor, which an H200's bandwidth × latency just
// about asks for; a full sum of 2^24 floats ran at 63% of an H100's bandwidth. With quads a sum of
// 2^26 floats reads at 77% of an H200's, PyTorch's at 81%.) The 16 floats of each four quads are
// added pairwise in F32 and their sum goes into the thread's F64 accumulator: each group of 16
// rounds at most four times (depth 4), so the error stays under 4·2^-24 of the magnitudes' sum, and
// it is 2 flops per element where Kahan's compensated run took 8 in a dependent chain. On an H200 that
// chain was 1.2 µs of a 21.8 µs sum of 2^24 floats, and 3 µs at 2^26 (scripts/lib/reduce_probe.cu).
// 16 equal values add exactly (each level doubles), so 10^7 ones still sum to 1e7. The leftover
// quads (fewer than four per thread) and the last inner % 4 elements go into the F64 sum directly.
__device__ __forceinline__ double quad_sum(const float* row, i64 inner) {
    const fm_f4* q = reinterpret_cast<const fm_f4*>(row);
    const i64 quads = inner / 4, step = blockDim.x;
    double acc = 0;
    i64 j = threadIdx.x;
    for (; j + 3 * step < quads; j += 4 * step) {
        fm_f4 a = q[j], b = q[j + step], c = q[j + 2 * step], d = q[j + 3 * step];
        acc += (double)((((a.x + a.y) + (a.z + a.w)) + ((b.x + b.y) + (b.z + b.w)))
                        + (((c.x + c.y) + (c.z + c.w)) + ((d.x + d.y) + (d.z + d.w))));
    }
    for (; j < quads; j += step) {
        fm_f4 a = q[j];
        acc += (double)a.x + (double)a.y + (double)a.z + (double)a.w;
    }
    if (4 * quads + threadIdx.x < inner) acc += (double)row[4 * quads + threadIdx.x];
    return acc;
}

template <> __device__ __forceinline__ double thread_sum<float>(const float* row, i64 inner) {
    if ((reinterpret_cast<unsigned long long>(row) & 15) == 0) return quad_sum(row, inner);
    KahanRuns f;
    thread_walk(row, inner, f);
    return f.total();
}

// A thread's extreme so far and its index counted from `base` (a chunk's start in its row). A
// thread's indices rise, so among equal values its first one stays.
template <typename T> struct Extreme {
    bool want_max;
    i64 base;
    T v;
    i64 iv;
    __device__ __forceinline__ void operator()(T x, i64 j) {
        if (arg_better(want_max, x, base + j, v, iv)) {
            v = x;
            iv = base + j;
        }
    }
};

// The extreme of elements [0, len) of `row` and its index counted from `base`: each thread's
// candidates, then the block fold. Valid in thread 0.
template <typename T>
__device__ __forceinline__ void block_extreme(bool want_max, const T* row, i64 len, i64 base, T& v, i64& iv) {
    Extreme<T> f = {want_max, base, empty_extreme<T>(), -1};
    thread_walk(row, len, f);
    v = f.v;
    iv = f.iv;
    block_arg(want_max, v, iv);
}

// A row's MAX/MIN (T; NaN when the row is empty) or ARG* (i64; -1 when empty) result.
template <typename T> __device__ __forceinline__ void write_extreme(int op, void* out, i64 at, T v, i64 iv) {
    if (op == R_ARGMAX || op == R_ARGMIN) {
        static_cast<i64*>(out)[at] = iv;
    } else {
        static_cast<T*>(out)[at] = iv < 0 ? empty_extreme<T>() : v;
    }
}

template <typename T>
__device__ void reduce_rows(int op, const T* x, i64 x_offset, i64 row_stride, i64 inner, void* out, i64 out_offset,
                            i64 outer) {
    for (i64 r = blockIdx.x; r < outer; r += gridDim.x) {
        const T* row = x + x_offset + r * row_stride;
        if (op == R_SUM) {
            typename SumAcc<T>::type s = block_sum(thread_sum(row, inner));
            if (threadIdx.x == 0) static_cast<T*>(out)[out_offset + r] = (T)s;
            continue;
        }
        T v;
        i64 iv;
        block_extreme(op == R_MAX || op == R_ARGMAX, row, inner, 0, v, iv);
        if (threadIdx.x == 0) write_extreme(op, out, out_offset + r, v, iv);
    }
}

#define FATHOM_REDUCE(t, T)                                                                       \
    extern "C" __global__ void reduce_##t(int op, const T* x, i64 x_offset, i64 row_stride, i64 inner, void* out, \
                                          i64 out_offset, i64 outer) {                            \
        fm_grid_dependency();                                                                     \
        reduce_rows<T>(op, x, x_offset, row_stride, inner, out, out_offset, outer);               \
    }
FATHOM_REDUCE(f32, float)
FATHOM_REDUCE(f64, double)
FATHOM_REDUCE(i64, i64)
#undef FATHOM_REDUCE

// BOOL count: SUM only (the tensor layer rejects other ops on BOOL); the output is I64.
extern "C" __global__ void reduce_u8(int op, const u8* x, i64 x_offset, i64 row_stride, i64 inner, void* out,
                                     i64 out_offset, i64 outer) {
    fm_grid_dependency();
    for (i64 r = blockIdx.x; r < outer; r += gridDim.x) {
        unsigned long long s = block_sum(thread_sum(x + x_offset + r * row_stride, inner));
        if (threadIdx.x == 0) static_cast<i64*>(out)[out_offset + r] = op == R_SUM ? (i64)s : 0;
    }
}

// ---- split rows (see the header) --------------------------------------------------------------------

// A ticket from a row's counter, taken with release and acquire semantics at device scope (PTX's
// atom.acq_rel.gpu, sm_70 and newer): the slot this thread wrote before it is visible to whichever
// block takes the last ticket, and that block's thread sees every slot written before the other
// tickets. It replaces __threadfence() (fence.sc.gpu) before a relaxed atomicAdd and a second fence
// in the last block, the threadFenceReduction pattern of the CUDA samples, whose tail cost about
// 2 µs of a 2^24-float sum on an H200 (scripts/lib/reduce_probe.cu). The emulation (g++) keeps the
// fence and atomic: its atomics are sequentially consistent anyway.
__device__ __forceinline__ unsigned take_ticket(unsigned* ticket) {
#if defined(__CUDACC__)
    unsigned old;
    asm volatile("atom.acq_rel.gpu.add.u32 %0, [%1], 1;" : "=r"(old) : "l"(ticket) : "memory");
    return old;
#else
    __threadfence();
    return atomicAdd(ticket, 1u);
#endif
}

// Whether this block took row r's last ticket, i.e. every other chunk's slot is written. Thread 0
// takes the ticket after writing the block's slot; the block that takes the last one resets the
// counter for the next launch (every other block of the row has taken its ticket by then, and
// launches on the stream do not overlap). Its other threads read the slots after the barrier that
// follows thread 0's acquire, as CUTLASS's GenericBarrier does (acquire in one thread, then
// __syncthreads), and through volatile loads, so no L1 line from before serves them.
__device__ __forceinline__ bool took_last_ticket(unsigned* ticket, i64 splits) {
    __shared__ bool last;
    if (threadIdx.x == 0) {
        last = take_ticket(ticket) == (unsigned)(splits - 1);
        if (last) atomicExch(ticket, 0u);
    }
    __syncthreads();
    bool mine = last;
    __syncthreads();  // `last` is rewritten by the next row of a grid-strided block
    return mine;
}

// This thread's share of a row's `splits` sum slots: slots threadIdx.x, + blockDim.x, ... added in
// that order, loaded four at a time. The merge is the last step of a one-wave grid, when every
// other block has ended, so its loads are latency, not bandwidth: one at a time, 1,024 slots over
// 256 threads were four L2 round trips in a row; four in flight are one. The order of the adds,
// and so the bits, are those of the one-at-a-time loop.
template <typename A> __device__ __forceinline__ A slot_sum(const volatile A* p, i64 splits) {
    const i64 step = blockDim.x;
    A s = 0;
    i64 j = threadIdx.x;
    for (; j + 3 * step < splits; j += 4 * step) {
        A a = p[j], b = p[j + step], c = p[j + 2 * step], d = p[j + 3 * step];
        s += a;
        s += b;
        s += c;
        s += d;
    }
    for (; j < splits; j += step) s += p[j];
    return s;
}

// Row r's result from its `splits` slots (read through volatile: other blocks wrote them during
// this launch, so no cached copy may serve).
template <typename T>
__device__ void merge_row(int op, const void* part_val, const i64* part_idx, i64 splits, void* out, i64 at, i64 r) {
    typedef typename SumAcc<T>::type A;
    if (op == R_SUM) {
        A s = block_sum(slot_sum(static_cast<const volatile A*>(part_val) + r * splits, splits));
        if (threadIdx.x == 0) static_cast<T*>(out)[at] = (T)s;
        return;
    }
    bool want_max = op == R_MAX || op == R_ARGMAX;
    const volatile T* pv = static_cast<const volatile T*>(part_val) + r * splits;
    const volatile i64* pi = part_idx + r * splits;
    T v = empty_extreme<T>();
    i64 iv = -1;
    for (i64 j = threadIdx.x; j < splits; j += blockDim.x) {
        T cv = pv[j];
        i64 ci = pi[j];
        if (arg_better(want_max, cv, ci, v, iv)) {
            v = cv;
            iv = ci;
        }
    }
    block_arg(want_max, v, iv);
    if (threadIdx.x == 0) write_extreme(op, out, at, v, iv);
}

template <typename T>
__device__ void split_rows(int op, const T* x, i64 x_offset, i64 row_stride, i64 inner, i64 chunk, i64 splits,
                           void* part_val, i64* part_idx, unsigned* tickets, void* out, i64 out_offset, i64 outer) {
    for (i64 b = blockIdx.x; b < outer * splits; b += gridDim.x) {
        const BlockSplit at = split_block(b, splits, outer * splits);
        i64 r = at.q, begin = at.r * chunk;
        i64 len = inner - begin < chunk ? inner - begin : chunk;
        const T* row = x + x_offset + r * row_stride + begin;
        if (op == R_SUM) {
            typename SumAcc<T>::type s = block_sum(thread_sum(row, len));
            if (threadIdx.x == 0) static_cast<typename SumAcc<T>::type*>(part_val)[b] = s;
        } else {
            T v;
            i64 iv;
            block_extreme(op == R_MAX || op == R_ARGMAX, row, len, begin, v, iv);
            if (threadIdx.x == 0) {
                static_cast<T*>(part_val)[b] = v;
                part_idx[b] = iv;
            }
        }
        if (took_last_ticket(tickets + r, splits)) merge_row<T>(op, part_val, part_idx, splits, out, out_offset + r, r);
    }
}

// reduce_split_f32 is held to 32 registers for 8 blocks of LaunchGeometry.BLOCK = 256 threads on a
// multiprocessor, the one wave ReduceLaunches.SPLIT_TARGET_BLOCKS aims for on an H100 or H200. Left
// free, ptxas (CUDA 13, sm_90) also chose 32 registers, but fitted them by reusing the registers of
// quad_sum's first two quads for the next two: two 16-byte loads in flight per thread instead of
// four, on the path the full sum's time depends on. Bounded, it keeps all four in flight (and
// slot_sum's four loads). sm_80 takes the same 32 (it had 60, 4 blocks per SM). The F64 and I64
// kernels stay free: held to 32 registers, they spill on sm_80.
#define FATHOM_SPLIT_BOUNDS_f32 __launch_bounds__(256, 8)
#define FATHOM_SPLIT_BOUNDS_f64
#define FATHOM_SPLIT_BOUNDS_i64
#define FATHOM_REDUCE_SPLIT(t, T)                                                                 \
    extern "C" __global__ void FATHOM_SPLIT_BOUNDS_##t reduce_split_##t(int op, const T* x, i64 x_offset, i64 row_stride, i64 inner, \
                                                i64 chunk, i64 splits, void* part_val, i64* part_idx,          \
                                                unsigned* tickets, void* out, i64 out_offset, i64 outer) {     \
        fm_grid_dependency();                                                                                 \
        split_rows<T>(op, x, x_offset, row_stride, inner, chunk, splits, part_val, part_idx, tickets, out,    \
                      out_offset, outer);                                                          \
    }
FATHOM_REDUCE_SPLIT(f32, float)
FATHOM_REDUCE_SPLIT(f64, double)
FATHOM_REDUCE_SPLIT(i64, i64)
#undef FATHOM_REDUCE_SPLIT

// A full F32 sum: one row that starts on 16 bytes (every whole tensor), SUM, cut into `splits`
// chunks of `chunk` elements (a multiple of 4), one block each: reduce_split_f32's path for that
// case and nothing else, so no grid-stride loop, op switch or unaligned path shares its registers
// and schedule. Block b sums chunk b as split_rows does (quad_sum, block_sum), writes slot b, and the
// block that takes the last ticket folds the slots (slot_sum, block_sum) into *out and resets the
// ticket: the same adds in the same order, so the same bits as reduce_split_f32. Why its own entry:
// on an H200 the probe's copy of this path summed 2^24 floats in 19.8 µs where reduce_split_f32 took
// 20.2 (70% of the nominal bandwidth needs 19.9; scripts/lib/reduce_probe.cu).
extern "C" __global__ void __launch_bounds__(256, 8) reduce_sum_f32(const float* x, i64 n, i64 chunk, i64 splits,
                                                                     double* slots, unsigned* ticket, float* out) {
    fm_grid_dependency();
    const i64 b = blockIdx.x, begin = b * chunk;
    const i64 len = n - begin < chunk ? n - begin : chunk;
    const double s = block_sum(quad_sum(x + begin, len));
    if (threadIdx.x == 0) slots[b] = s;
    if (took_last_ticket(ticket, splits)) {
        const double t = block_sum(slot_sum(static_cast<const volatile double*>(slots), splits));
        if (threadIdx.x == 0) *out = (float)t;
    }
}

// BOOL counts, SUM only: u64 slots, an i64 output.
extern "C" __global__ void reduce_split_u8(int op, const u8* x, i64 x_offset, i64 row_stride, i64 inner, i64 chunk,
                                           i64 splits, void* part_val, i64* part_idx, unsigned* tickets, void* out,
                                           i64 out_offset, i64 outer) {
    fm_grid_dependency();
    for (i64 b = blockIdx.x; b < outer * splits; b += gridDim.x) {
        const BlockSplit at = split_block(b, splits, outer * splits);
        i64 r = at.q, begin = at.r * chunk;
        i64 len = inner - begin < chunk ? inner - begin : chunk;
        unsigned long long s = block_sum(thread_sum(x + x_offset + r * row_stride + begin, len));
        if (threadIdx.x == 0) static_cast<unsigned long long*>(part_val)[b] = s;
        if (!took_last_ticket(tickets + r, splits)) continue;
        unsigned long long c =
            block_sum(slot_sum(static_cast<const volatile unsigned long long*>(part_val) + r * splits, splits));
        if (threadIdx.x == 0) static_cast<i64*>(out)[out_offset + r] = op == R_SUM ? (i64)c : 0;
    }
}

// ---- columns (see the header) -------------------------------------------------------------------

// A tile is `width` columns: 32, or for fewer columns the power of two that holds them, so that a
// warp's 32 lanes read 32 / width rows of the tile at once instead of idling (a sum of [10^6, 2] over
// rows would otherwise keep 2 lanes of 32 busy). dev.fathom.cuda.ReduceLaunches.columnTileWidth
// computes the same. Lane l reads column c0 + l % width (neighbouring addresses when the columns
// are contiguous), and the block's walkers, (blockDim.x / 32)·(32 / width) of them, read rows
// begin + walker, + walkers, ... of the chunk.
#define FATHOM_COL_WARPS 8  // blockDim.x ≤ 32·FATHOM_COL_WARPS

__device__ __forceinline__ unsigned col_tile_width(i64 cols, unsigned cap = 32) {
    unsigned w = 1;
    while (w < cap && w < cols) w <<= 1;
    return w;
}

// This thread's walker and the block's walker count, for tiles of `width` columns.
struct ColWalker {
    unsigned width, lane, walker, walkers;
    __device__ __forceinline__ explicit ColWalker(unsigned width)
        : width(width),
          lane(threadIdx.x % 32),
          walker(threadIdx.x / 32 * (32 / width) + threadIdx.x % 32 / width),
          walkers(blockDim.x / 32 * (32 / width)) {}
};

// Calls f(x, r) for one column's rows r = begin + walker, + walkers, ... < end (col points at its
// row 0), loading four before using any, as thread_walk does along a row.
template <typename T, typename F>
__device__ __forceinline__ void col_walk(const ColWalker& cw, const T* col, i64 row_stride, i64 begin, i64 end, F& f) {
    const i64 step = cw.walkers;
    i64 r = begin + cw.walker;
    for (; r + 3 * step < end; r += 4 * step) {
        T x0 = col[r * row_stride], x1 = col[(r + step) * row_stride], x2 = col[(r + 2 * step) * row_stride],
          x3 = col[(r + 3 * step) * row_stride];
        f(x0, r);
        f(x1, r + step);
        f(x2, r + 2 * step);
        f(x3, r + 3 * step);
    }
    for (; r < end; r += step) f(col[r * row_stride], r);
}

// A thread's share of a column's sum: strided loads cannot be quads, so F32 takes the Kahan runs.
template <typename T>
__device__ __forceinline__ typename SumAcc<T>::type col_sum(const ColWalker& cw, const T* col, i64 row_stride, i64 begin,
                                                            i64 end) {
    PlainSum<T> f;
    col_walk(cw, col, row_stride, begin, end, f);
    return f.acc;
}
template <>
__device__ __forceinline__ double col_sum<float>(const ColWalker& cw, const float* col, i64 row_stride, i64 begin, i64 end) {
    KahanRuns f;
    col_walk(cw, col, row_stride, begin, end, f);
    return f.total();
}

// The walkers' values of each column folded in a fixed order (warp by warp, then the lanes of the
// column within the warp), so the result does not depend on timing. Every thread must call it; the
// result is valid in the lanes l < width of warp 0.
template <typename A> __device__ __forceinline__ A walkers_sum(const ColWalker& cw, A v) {
    __shared__ A part[FATHOM_COL_WARPS][32];
    unsigned warp = threadIdx.x / 32, warps = blockDim.x / 32;
    part[warp][cw.lane] = v;
    __syncthreads();
    if (warp == 0 && cw.lane < cw.width) {
        v = 0;
        for (unsigned i = 0; i < warps; i++)
            for (unsigned l = cw.lane; l < 32; l += cw.width) v += part[i][l];
    }
    __syncthreads();  // part is reused by the next tile of a grid-strided block
    return v;
}

template <typename T> __device__ __forceinline__ void walkers_arg(const ColWalker& cw, bool want_max, T& v, i64& iv) {
    __shared__ T part_v[FATHOM_COL_WARPS][32];
    __shared__ i64 part_i[FATHOM_COL_WARPS][32];
    unsigned warp = threadIdx.x / 32, warps = blockDim.x / 32;
    part_v[warp][cw.lane] = v;
    part_i[warp][cw.lane] = iv;
    __syncthreads();
    if (warp == 0 && cw.lane < cw.width) {
        for (unsigned i = 0; i < warps; i++) {
            for (unsigned l = cw.lane; l < 32; l += cw.width) {
                if (arg_better(want_max, part_v[i][l], part_i[i][l], v, iv)) {
                    v = part_v[i][l];
                    iv = part_i[i][l];
                }
            }
        }
    }
    __syncthreads();
}

// Block b (grid-strided over tiles·splits) reduces rows [s·chunk, (s+1)·chunk) of the columns of
// tile b / splits (s = b % splits); without splits warp 0 writes the results, else it writes the
// tile's slots b·32 + l (l < width) and the tile's last block (its ticket: tickets[tile]) folds them
// in slot order. O is a SUM's output type (T, or i64 for BOOL counts); SUM_ONLY leaves out
// MAX/MIN/ARG*.
template <typename T, typename O, bool SUM_ONLY>
__device__ void col_tiles(int op, const T* x, i64 x_offset, i64 outer_stride, i64 row_stride, i64 col_stride, i64 outer,
                          i64 rows, i64 cols, i64 chunk, i64 splits, void* part_val, i64* part_idx, unsigned* tickets,
                          void* out, i64 out_offset) {
    typedef typename SumAcc<T>::type A;
    const ColWalker cw(col_tile_width(cols));
    const i64 tiles_per = (cols + cw.width - 1) / cw.width;
    const unsigned column = cw.lane % cw.width;
    for (i64 b = blockIdx.x; b < outer * tiles_per * splits; b += gridDim.x) {
        i64 tile = b / splits, s = b % splits;
        i64 a = tile / tiles_per, c = (tile % tiles_per) * cw.width + column;
        i64 begin = s * chunk, end = rows - begin < chunk ? rows : begin + chunk;
        bool live = c < cols, write = live && threadIdx.x < cw.width;
        const T* col = x + x_offset + a * outer_stride + c * col_stride;
        i64 at = out_offset + a * cols + c, slot = b * 32 + column;
        bool sum = SUM_ONLY || op == R_SUM, want_max = op == R_MAX || op == R_ARGMAX;
        if (sum) {
            A v = walkers_sum(cw, live ? col_sum(cw, col, row_stride, begin, end) : A(0));
            if (write) {
                if (splits == 1) {
                    static_cast<O*>(out)[at] = (O)v;
                } else {
                    static_cast<A*>(part_val)[slot] = v;
                }
            }
        } else if constexpr (!SUM_ONLY) {
            Extreme<T> f = {want_max, 0, empty_extreme<T>(), -1};
            if (live) col_walk(cw, col, row_stride, begin, end, f);
            walkers_arg(cw, want_max, f.v, f.iv);
            if (write) {
                if (splits == 1) {
                    write_extreme(op, out, at, f.v, f.iv);
                } else {
                    static_cast<T*>(part_val)[slot] = f.v;
                    part_idx[slot] = f.iv;
                }
            }
        }
        if (splits == 1) continue;
        __syncthreads();  // every lane's slot is written before thread 0's ticket releases them
        if (!took_last_ticket(tickets + tile, splits)) continue;
        const i64 first = tile * splits * 32 + column;  // the tile's slot j of this lane's column: first + 32·j
        if (sum) {
            const volatile A* p = static_cast<const volatile A*>(part_val) + first;
            A v = 0;
            for (i64 j = cw.walker; j < splits; j += cw.walkers) v += p[32 * j];
            v = walkers_sum(cw, v);
            if (write) static_cast<O*>(out)[at] = (O)v;
        } else if constexpr (!SUM_ONLY) {
            const volatile T* pv = static_cast<const volatile T*>(part_val) + first;
            const volatile i64* pi = part_idx + first;
            T v = empty_extreme<T>();
            i64 iv = -1;
            for (i64 j = cw.walker; j < splits; j += cw.walkers) {
                T cv = pv[32 * j];
                i64 ci = pi[32 * j];
                if (arg_better(want_max, cv, ci, v, iv)) {
                    v = cv;
                    iv = ci;
                }
            }
            walkers_arg(cw, want_max, v, iv);
            if (write) write_extreme(op, out, at, v, iv);
        }
    }
}

// F32 column sums whose columns are contiguous and start on 16 bytes (a bias gradient [N, C] with C
// a multiple of 4): each lane reads a quad of neighbouring columns per row, so a warp's load is 512
// bytes where col_tiles reads 128, and a thread has four 16-byte loads in flight where it had four of
// 4 bytes. Tiles are `width` quads (col_tile_width of the quad count), walkers as in col_tiles. Each
// column adds a walker's four rows pairwise in F32 (two roundings) and carries that in F64, as
// quad_sum does along a row; with splits > 1 block b writes slots b·128 + 4·q + k (quad q < width of
// the tile, column k of the quad) and the tile's last block folds them in slot order. An H200 summed
// [2^14, 1024] over its rows at 34% of the nominal bandwidth with col_tiles, at 52% with this kernel
// (PyTorch 37%); [2^16, 1024] at 42% and 77% (PyTorch 61%), when col_quad_sum still had two loads
// in flight. Held to 40 registers (__launch_bounds__(256, 6)): 6 blocks of 256 per SM, the
// occupancy ReduceLaunches.F32_COLUMN_TARGET_BLOCKS counts on (left free, ptxas takes 44: 5 blocks).
//   reduce_cols_sum_f32x4(const float* x, i64 outer_stride, i64 row_stride, i64 outer, i64 rows,
//       i64 cols, i64 chunk, i64 splits, double* slots, unsigned* tickets, float* out)
// x points at element (0, 0, 0) and must start on 16 bytes; cols, row_stride and outer_stride are
// multiples of 4; the result of (a, c) goes to out[a·cols + c].
struct Sum4 {
    double x, y, z, w;
};

// Adds one walker's group of four rows of a quad column: pairwise in F32, then into the F64 sums.
__device__ __forceinline__ void add_quad_rows(Sum4& acc, fm_f4 a, fm_f4 b, fm_f4 c, fm_f4 d) {
    acc.x += (double)((a.x + b.x) + (c.x + d.x));
    acc.y += (double)((a.y + b.y) + (c.y + d.y));
    acc.z += (double)((a.z + b.z) + (c.z + d.z));
    acc.w += (double)((a.w + b.w) + (c.w + d.w));
}

// A walker's rows of its quad column, in groups of four rows (add_quad_rows) and then one row at a
// time, in that order. The loop takes two groups a trip and the last one to three rows are loaded
// together: written as one group a trip, ptxas (CUDA 13, sm_90, 40 registers) issued two of a
// group's 16-byte loads, added them, and only then issued the other two, so a thread had 32 bytes in
// flight where the full sum's quad_sum has 64; with two groups a trip it issues four loads, adds,
// then four more (scripts/lib/disassemble-sass). 6 blocks per SM × 256 threads × 32 bytes is
// likely under what an H200's bandwidth × load latency asks: session 24's column sums took about
// 13 µs more than their bytes at the full sum's rate, as a latency-bound loop would (not yet timed
// since). The adds and their order are those of one group a trip, so the bits are the same.
__device__ __forceinline__ Sum4 col_quad_sum(const ColWalker& cw, const fm_f4* col, i64 quad_row_stride, i64 begin,
                                             i64 end) {
    const i64 step = cw.walkers;
    Sum4 acc = {0, 0, 0, 0};
    i64 r = begin + cw.walker;
    const fm_f4* p = col + r * quad_row_stride;
    const i64 stride = step * quad_row_stride;  // from one of the walker's rows to its next
    for (; r + 7 * step < end; r += 8 * step, p += 8 * stride) {
        fm_f4 a = p[0], b = p[stride], c = p[2 * stride], d = p[3 * stride];
        fm_f4 e = p[4 * stride], f = p[5 * stride], g = p[6 * stride], h = p[7 * stride];
        add_quad_rows(acc, a, b, c, d);
        add_quad_rows(acc, e, f, g, h);
    }
    if (r + 3 * step < end) {
        add_quad_rows(acc, p[0], p[stride], p[2 * stride], p[3 * stride]);
        r += 4 * step, p += 4 * stride;
    }
    if (r < end) {
        const bool two = r + step < end, three = r + 2 * step < end;
        const fm_f4 none = {0, 0, 0, 0};
        const fm_f4 a = p[0], b = two ? p[stride] : none, c = three ? p[2 * stride] : none;
        acc.x += (double)a.x, acc.y += (double)a.y, acc.z += (double)a.z, acc.w += (double)a.w;
        if (two) acc.x += (double)b.x, acc.y += (double)b.y, acc.z += (double)b.z, acc.w += (double)b.w;
        if (three) acc.x += (double)c.x, acc.y += (double)c.y, acc.z += (double)c.z, acc.w += (double)c.w;
    }
    return acc;
}

// col_quad_sum as a type, col_quad_tiles' default: scripts/lib/reduce_probe.cu passes other walker
// loops to time them in the same kernel.
struct ColQuadSum {
    __device__ __forceinline__ Sum4 operator()(const ColWalker& cw, const fm_f4* col, i64 quad_row_stride, i64 begin,
                                               i64 end) const {
        return col_quad_sum(cw, col, quad_row_stride, begin, end);
    }
};

// The walkers' Sum4s folded per column in walkers_sum's fixed order (warp by warp, then the lanes of
// the quad within the warp), the four columns in one pass: one pair of barriers where four
// walkers_sum calls took four, and four independent chains of adds. Valid in lanes < width of warp 0.
__device__ __forceinline__ Sum4 walkers_sum4(const ColWalker& cw, Sum4 v) {
    __shared__ Sum4 part[FATHOM_COL_WARPS][32];
    unsigned warp = threadIdx.x / 32, warps = blockDim.x / 32;
    part[warp][cw.lane] = v;
    __syncthreads();
    if (warp == 0 && cw.lane < cw.width) {
        v = {0, 0, 0, 0};
        for (unsigned i = 0; i < warps; i++) {
            for (unsigned l = cw.lane; l < 32; l += cw.width) {
                const Sum4 p = part[i][l];
                v.x += p.x, v.y += p.y, v.z += p.z, v.w += p.w;
            }
        }
    }
    __syncthreads();  // part is reused by the next tile of a grid-strided block
    return v;
}

// The kernel's body with tiles of at most MAX_WIDTH quads: the entry takes 32 (a warp reads 512
// contiguous bytes of a row); scripts/lib/reduce_probe.cu also times narrower caps, whose tiles
// are more and so cut into fewer chunks, with less for each tile's last block to fold.
template <unsigned MAX_WIDTH, typename WalkerSum = ColQuadSum>
__device__ __forceinline__ void col_quad_tiles(const float* x, i64 outer_stride, i64 row_stride, i64 outer, i64 rows,
                                               i64 cols, i64 chunk, i64 splits, double* slots, unsigned* tickets,
                                               float* out) {
    const i64 quads = cols / 4, quad_row_stride = row_stride / 4;
    const ColWalker cw(col_tile_width(quads, MAX_WIDTH));
    const i64 tiles_per = (quads + cw.width - 1) / cw.width;
    const unsigned q = cw.lane % cw.width;
    for (i64 b = blockIdx.x; b < outer * tiles_per * splits; b += gridDim.x) {
        const i64 tile = b / splits, s = b % splits;
        const i64 a = tile / tiles_per, qc = (tile % tiles_per) * cw.width + q;
        const i64 begin = s * chunk, end = rows - begin < chunk ? rows : begin + chunk;
        const bool live = qc < quads, write = live && threadIdx.x < cw.width;
        const fm_f4* col = reinterpret_cast<const fm_f4*>(x + a * outer_stride) + qc;
        float* at = out + a * cols + 4 * qc;
        Sum4 v = {0, 0, 0, 0};
        if (live) v = WalkerSum()(cw, col, quad_row_stride, begin, end);
        v = walkers_sum4(cw, v);
        if (splits == 1) {
            if (write) at[0] = (float)v.x, at[1] = (float)v.y, at[2] = (float)v.z, at[3] = (float)v.w;
            continue;
        }
        double* slot = slots + b * 128 + 4 * q;
        if (write) slot[0] = v.x, slot[1] = v.y, slot[2] = v.z, slot[3] = v.w;
        __syncthreads();  // every lane's slots are written before thread 0's ticket releases them
        if (!took_last_ticket(tickets + tile, splits)) continue;
        // The tile's chunks j = walker, + walkers, ...: two chunks' slots (eight loads) in flight before
        // any is added.
        const volatile double* p = slots + tile * splits * 128 + 4 * q;
        Sum4 t = {0, 0, 0, 0};
        const i64 step = cw.walkers;
        i64 j = live ? cw.walker : splits;  // a lane past the last quad has no slots
        for (; j + step < splits; j += 2 * step) {
            const volatile double* p0 = p + 128 * j;
            const volatile double* p1 = p + 128 * (j + step);
            double a0 = p0[0], a1 = p0[1], a2 = p0[2], a3 = p0[3], b0 = p1[0], b1 = p1[1], b2 = p1[2], b3 = p1[3];
            t.x += a0, t.y += a1, t.z += a2, t.w += a3;
            t.x += b0, t.y += b1, t.z += b2, t.w += b3;
        }
        for (; j < splits; j += step) {
            const volatile double* p0 = p + 128 * j;
            t.x += p0[0], t.y += p0[1], t.z += p0[2], t.w += p0[3];
        }
        t = walkers_sum4(cw, t);
        if (write) at[0] = (float)t.x, at[1] = (float)t.y, at[2] = (float)t.z, at[3] = (float)t.w;
    }
}

extern "C" __global__ void __launch_bounds__(256, 6) reduce_cols_sum_f32x4(const float* x, i64 outer_stride, i64 row_stride,
                                                                           i64 outer, i64 rows, i64 cols, i64 chunk,
                                                                           i64 splits, double* slots, unsigned* tickets,
                                                                           float* out) {
    fm_grid_dependency();
    col_quad_tiles<32>(x, outer_stride, row_stride, outer, rows, cols, chunk, splits, slots, tickets, out);
}

#define FATHOM_REDUCE_COLS(t, T, O, SUM_ONLY)                                                                       \
    extern "C" __global__ void reduce_cols_##t(int op, const T* x, i64 x_offset, i64 outer_stride, i64 row_stride,  \
                                               i64 col_stride, i64 outer, i64 rows, i64 cols, i64 chunk, i64 splits, \
                                               void* part_val, i64* part_idx, unsigned* tickets, void* out,         \
                                               i64 out_offset) {                                                   \
        fm_grid_dependency();                                                                                       \
        col_tiles<T, O, SUM_ONLY>(op, x, x_offset, outer_stride, row_stride, col_stride, outer, rows, cols, chunk,  \
                                  splits, part_val, part_idx, tickets, out, out_offset);                            \
    }
FATHOM_REDUCE_COLS(f32, float, float, false)
FATHOM_REDUCE_COLS(f64, double, double, false)
FATHOM_REDUCE_COLS(i64, i64, i64, false)
FATHOM_REDUCE_COLS(u8, u8, i64, true)  // BOOL counts: SUM only, an i64 output
#undef FATHOM_REDUCE_COLS
