// The full F32 sum's kernel alone, timed on the GPU with CUDA events, against a device-to-device
// copy (the bandwidth ceiling) and CUB's DeviceReduce::Sum (what a library kernel reaches). It
// tells the kernel's own time apart from the host's, and how the number of chunks a row is cut
// into (ReduceLaunches.SPLIT_TARGET_BLOCKS) moves it. scripts/gpu-check bundle builds it and its run
// runs it ("Sum kernel probe"); by hand:
//   nvcc -O3 -std=c++17 -arch=sm_90 -I backend-cuda/src/main/cuda scripts/lib/reduce_probe.cu -o probe  (an H100, H200)
//   ./probe            (one table on stdout: µs per sum and the share of the copy's bandwidth)
// The kernel is the shipped one: this file includes reduce.cu as it is. On sm_90 it also times the
// sum under programmatic dependent launch, as the backend launches it there (-Dfathom.cuda.pdl=false: not).
#include <cub/device/device_reduce.cuh>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "reduce.cu"

#define CHECK(call)                                                                                   \
    do {                                                                                              \
        cudaError_t e = (call);                                                                       \
        if (e != cudaSuccess) {                                                                       \
            std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e)); \
            std::exit(1);                                                                             \
        }                                                                                             \
    } while (0)

static const int BLOCK = 256;     // LaunchGeometry.BLOCK
static const int OPS = 200;       // launches between the two events
static const int REPEATS = 7;     // the median of these

// Median µs per launch of `launch`, OPS back to back between two events.
template <typename F> static double time_us(F launch) {
    cudaEvent_t a, b;
    CHECK(cudaEventCreate(&a));
    CHECK(cudaEventCreate(&b));
    for (int i = 0; i < 20; i++) launch();
    CHECK(cudaDeviceSynchronize());
    std::vector<double> us;
    for (int r = 0; r < REPEATS; r++) {
        CHECK(cudaEventRecord(a));
        for (int i = 0; i < OPS; i++) launch();
        CHECK(cudaEventRecord(b));
        CHECK(cudaEventSynchronize(b));
        float ms;
        CHECK(cudaEventElapsedTime(&ms, a, b));
        us.push_back(1000.0 * ms / OPS);
    }
    CHECK(cudaGetLastError());
    std::sort(us.begin(), us.end());
    return us[us.size() / 2];
}

// Variants of reduce_split_f32's SUM, one row, to place its time: how each thread adds its
// elements (MODE_KAHAN: the Kahan runs that reduce.cu used before quad_sum; MODE_TREE16: the
// shipped quad_sum; MODE_PLAIN: one F32 accumulator, the fast and inaccurate floor) and how the
// blocks end (TAIL_FENCE: __threadfence, a relaxed ticket and a second fence in the last block, as
// before; TAIL_ACQ_REL: the shipped took_last_ticket and merge (slot_sum: volatile loads, four in
// flight); TAIL_ACQ_REL_SERIAL: the same ticket, and the merge one volatile load at a time, as it
// was until session 21 (four L2 round trips in a row for 1,024 slots); TAIL_ACQ_REL_CG: the shipped
// ticket, and the last block reads the slots with __ldcg, loads cached in L2 only; TAIL_WARP: after the block's fold only warp 0 goes on, its lane 0 takes
// the ticket and the whole last warp merges the slots with __ldcg and shuffles, so the tail has no
// __syncthreads and no shared memory; TAIL_GROUPS: two levels of tickets, so that no counter takes
// more than 32 atomics: block b takes a ticket of group b % 32 (counters 128 bytes apart), the last
// of a group one of the whole grid, and the last of those merges, as TAIL_ACQ_REL does (1024
// atomics on one address arrive together at the end of a one-wave grid and queue there); TAIL_NONE:
// each block only writes its slot, no merge, so no result). Every variant is held to 32 registers
// (__launch_bounds__(256, 8)), as the shipped kernel has: at 34, 8 blocks of 256 no longer fit an SM,
// the 1024 blocks no longer fit one wave, and a variant would be timed for its occupancy.
enum { MODE_KAHAN, MODE_TREE16, MODE_PLAIN };
enum { TAIL_FENCE, TAIL_ACQ_REL, TAIL_ACQ_REL_SERIAL, TAIL_ACQ_REL_CG, TAIL_WARP, TAIL_GROUPS, TAIL_NONE };
static const unsigned GROUPS = 32;  // TAIL_GROUPS: group g's counter is tickets[32 (g + 1)], the grid's tickets[0]

template <int MODE> __device__ double probe_thread_sum(const float* row, i64 inner) {
    if (MODE == MODE_TREE16) return quad_sum(row, inner);
    const fm_f4* q = reinterpret_cast<const fm_f4*>(row);
    const i64 quads = inner / 4, step = blockDim.x;
    KahanRuns k;
    float plain = 0;
    i64 j = threadIdx.x;
    auto add = [&](fm_f4 a) {
        if (MODE == MODE_KAHAN) {
            k(a.x, 0), k(a.y, 0), k(a.z, 0), k(a.w, 0);
        } else {
            plain += (a.x + a.y) + (a.z + a.w);
        }
    };
    for (; j + 3 * step < quads; j += 4 * step) {  // four quads in flight, as the old walk had
        fm_f4 a = q[j], b = q[j + step], c = q[j + 2 * step], d = q[j + 3 * step];
        add(a), add(b), add(c), add(d);
    }
    for (; j < quads; j += step) add(q[j]);
    if (4 * quads + threadIdx.x < inner) plain += row[4 * quads + threadIdx.x];
    return k.total() + plain;
}

__device__ bool fence_last_ticket(unsigned* ticket, i64 splits) {
    __shared__ bool last;
    if (threadIdx.x == 0) {
        __threadfence();
        last = atomicAdd(ticket, 1u) == (unsigned)(splits - 1);
        if (last) atomicExch(ticket, 0u);
    }
    __syncthreads();
    bool mine = last;
    __syncthreads();
    if (mine) __threadfence();
    return mine;
}

// Whether this block took the grid's last ticket through TAIL_GROUPS's two levels.
__device__ bool took_last_group_ticket(unsigned* tickets, i64 splits) {
    __shared__ bool last;
    if (threadIdx.x == 0) {
        unsigned b = blockIdx.x, g = b % GROUPS;
        unsigned members = (unsigned)(splits / GROUPS) + (g < (unsigned)(splits % GROUPS) ? 1u : 0u);
        unsigned groups = splits < GROUPS ? (unsigned)splits : GROUPS;
        bool mine = false;
        if (take_ticket(tickets + 32 * (g + 1)) == members - 1) {
            atomicExch(tickets + 32 * (g + 1), 0u);
            mine = take_ticket(tickets) == groups - 1;
            if (mine) atomicExch(tickets, 0u);
        }
        last = mine;
    }
    __syncthreads();
    return last;
}

// How a variant meets programmatic dependent launch (sm_90; launched through launch_pdl): PDL_NONE
// not at all; PDL_WAIT_FIRST as the shipped kernels do (fm_grid_dependency before any access);
// PDL_READ_FIRST lets the next launch start, streams x, and waits only before writing: right only
// where no earlier kernel writes x, so a bound on what the overlap can give, not a kernel the
// backend could ship as it is.
enum { PDL_NONE, PDL_WAIT_FIRST, PDL_READ_FIRST };

template <int MODE, int TAIL, int PDL = PDL_NONE>
__global__ void __launch_bounds__(256, 8) probe_split(const float* x, i64 inner, i64 chunk, i64 splits, double* slots, unsigned* tickets, float* out) {
#if __CUDA_ARCH__ >= 900
    if (PDL == PDL_WAIT_FIRST) fm_grid_dependency();
    if (PDL == PDL_READ_FIRST) asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
    i64 b = blockIdx.x, begin = b * chunk;
    i64 len = inner - begin < chunk ? inner - begin : chunk;
    double s = block_sum(probe_thread_sum<MODE>(x + begin, len));
#if __CUDA_ARCH__ >= 900
    if (PDL == PDL_READ_FIRST) asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
    if (threadIdx.x == 0) slots[b] = s;
    if (TAIL == TAIL_NONE) return;
    if (TAIL == TAIL_WARP) {
        if (threadIdx.x >= 32) return;
        unsigned lane = threadIdx.x, last = 0;
        if (lane == 0) {
            last = take_ticket(tickets) == (unsigned)(splits - 1);
            if (last) atomicExch(tickets, 0u);
        }
        if (!__shfl_sync(0xffffffffu, last, 0)) return;
        __syncwarp();  // orders lane 0's acquire before the other lanes' loads, as __syncthreads does for a block
        double t = 0;
#pragma unroll 8
        for (i64 j = lane; j < splits; j += 32) t += __ldcg(slots + j);
        for (int d = 16; d > 0; d >>= 1) t += __shfl_down_sync(0xffffffffu, t, d);
        if (lane == 0) *out = (float)t;
        return;
    }
    bool last = TAIL == TAIL_FENCE    ? fence_last_ticket(tickets, splits)
                : TAIL == TAIL_GROUPS ? took_last_group_ticket(tickets, splits)
                                      : took_last_ticket(tickets, splits);
    if (last) {
        const volatile double* p = slots;
        double t = 0;
        if (TAIL == TAIL_ACQ_REL_CG) {
            for (i64 j = threadIdx.x; j < splits; j += blockDim.x) t += __ldcg(slots + j);
        } else if (TAIL == TAIL_ACQ_REL_SERIAL) {
#pragma unroll 1
            for (i64 j = threadIdx.x; j < splits; j += blockDim.x) t += p[j];
        } else {
            t = slot_sum(p, splits);
        }
        t = block_sum(t);
        if (threadIdx.x == 0) *out = (float)t;
    }
}

// col_quad_sum as it was until session 25: one group of four rows a trip, which ptxas scheduled as
// two loads, their adds, then the other two (32 bytes in flight per thread); the same adds in the
// same order, so the same sums.
struct OneGroupQuadSum {
    __device__ __forceinline__ Sum4 operator()(const ColWalker& cw, const fm_f4* col, i64 quad_row_stride, i64 begin,
                                               i64 end) const {
        const i64 step = cw.walkers;
        Sum4 acc = {0, 0, 0, 0};
        i64 r = begin + cw.walker;
        for (; r + 3 * step < end; r += 4 * step)
            add_quad_rows(acc, col[r * quad_row_stride], col[(r + step) * quad_row_stride],
                          col[(r + 2 * step) * quad_row_stride], col[(r + 3 * step) * quad_row_stride]);
        for (; r < end; r += step) {
            fm_f4 a = col[r * quad_row_stride];
            acc.x += (double)a.x, acc.y += (double)a.y, acc.z += (double)a.z, acc.w += (double)a.w;
        }
        return acc;
    }
};

// reduce_cols_sum_f32x4's body with tiles of at most W quads (the entry's cap is 32) and walker loop
// S, held to the entry's 40 registers.
template <unsigned W, typename S = ColQuadSum>
__global__ void __launch_bounds__(256, 6) probe_cols_quads(const float* x, i64 outer_stride, i64 row_stride, i64 outer, i64 rows,
                                                        i64 cols, i64 chunk, i64 splits, double* slots, unsigned* tickets,
                                                        float* out) {
    col_quad_tiles<W, S>(x, outer_stride, row_stride, outer, rows, cols, chunk, splits, slots, tickets, out);
}

// reduce_cols_sum_f32x4 without its last step: each block streams its chunk of its tile (32 quads
// wide, one row of tiles), folds its walkers and writes its 128 slots, and no block takes a ticket or
// folds a tile's slots (so there is no result). Against the shipped kernel at the same geometry: what
// the tickets and the tiles' folds cost.
__global__ void __launch_bounds__(256, 6) probe_cols_no_fold(const float* x, i64 rows, i64 cols, i64 chunk, i64 splits,
                                                             double* slots) {
    const ColWalker cw(32);
    const i64 tile = blockIdx.x / splits, s = blockIdx.x % splits, begin = s * chunk;
    const i64 end = rows - begin < chunk ? rows : begin + chunk;
    const fm_f4* col = reinterpret_cast<const fm_f4*>(x) + tile * 32 + cw.lane;
    const Sum4 v = walkers_sum4(cw, col_quad_sum(cw, col, cols / 4, begin, end));
    double* slot = slots + blockIdx.x * 128 + 4 * cw.lane;
    if (threadIdx.x < 32) slot[0] = v.x, slot[1] = v.y, slot[2] = v.z, slot[3] = v.w;
}

// A launch of `blocks` × BLOCK threads as a programmatic dependent of the launch before it on the
// default stream, as the backend launches its kernels on sm_90 (`attr` must outlive the launch).
static cudaLaunchConfig_t pdl_config(unsigned blocks, cudaLaunchAttribute* attr) {
    attr->id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr->val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t config = {};
    config.gridDim = dim3(blocks);
    config.blockDim = dim3(BLOCK);
    config.attrs = attr;
    config.numAttrs = 1;
    return config;
}

// Launches a probe_split variant as a programmatic dependent of the launch before it.
template <typename K>
static void launch_pdl(K kernel, unsigned blocks, const float* x, i64 n, i64 chunk, i64 splits, double* slots,
                       unsigned* tickets, float* out) {
    cudaLaunchAttribute attr;
    cudaLaunchConfig_t config = pdl_config(blocks, &attr);
    CHECK(cudaLaunchKernelEx(&config, kernel, x, n, chunk, splits, slots, tickets, out));
}

int main() {
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    int busWidth = 0, memClockKhz = 0;
    cudaDeviceGetAttribute(&busWidth, cudaDevAttrGlobalMemoryBusWidth, 0);
    cudaDeviceGetAttribute(&memClockKhz, cudaDevAttrMemoryClockRate, 0);
    double nominal = 2.0 * memClockKhz * 1e3 * (busWidth / 8) / 1e9;  // GB/s, DDR
    std::printf("%s, %d SMs, L2 %d MB, nominal %.0f GB/s\n", prop.name, prop.multiProcessorCount,
                prop.l2CacheSize >> 20, nominal);

    unsigned* tickets;
    CHECK(cudaMalloc(&tickets, 4 * 32 * (GROUPS + 1)));  // at least the 1024 counters of the widest grid, and TAIL_GROUPS's
    CHECK(cudaMemset(tickets, 0, 4 * 32 * (GROUPS + 1)));
    double* out;
    CHECK(cudaMalloc(&out, 16));

    for (long long n : {1LL << 24, 1LL << 26}) {
        std::vector<float> host(n);
        unsigned long long s = 12345;
        double want = 0;
        for (long long i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            host[i] = (float)((s >> 40) * (1.0 / (1 << 24))) - 0.5f;
            want += host[i];
        }
        float *x, *copy;
        CHECK(cudaMalloc(&x, n * 4));
        CHECK(cudaMalloc(&copy, n * 4));
        CHECK(cudaMemcpy(x, host.data(), n * 4, cudaMemcpyHostToDevice));
        double bytes = n * 4.0;

        double copyUs = time_us([&] { CHECK(cudaMemcpyAsync(copy, x, n * 4, cudaMemcpyDeviceToDevice)); });
        double copyGbs = 2 * bytes / copyUs / 1e3;
        std::printf("\nn = 2^%d (%.0f MB): copy %.1f µs, %.0f GB/s read+written (%.0f%% of nominal)\n",
                    (int)std::log2((double)n), bytes / 1e6, copyUs, copyGbs, 100 * copyGbs / nominal);
        std::printf("%-34s %9s %9s %9s %9s\n", "sum", "µs", "GB/s", "%nominal", "%copy");
        auto row = [&](const char* name, double us) {
            double gbs = bytes / us / 1e3;
            std::printf("%-34s %9.1f %9.0f %9.0f %9.0f\n", name, us, gbs, 100 * gbs / nominal, 100 * gbs / copyGbs);
        };

        float* cubOut;
        CHECK(cudaMalloc(&cubOut, 4));
        size_t tempBytes = 0;
        cub::DeviceReduce::Sum(nullptr, tempBytes, x, cubOut, (int)n);
        void* temp;
        CHECK(cudaMalloc(&temp, tempBytes));
        row("cub::DeviceReduce::Sum", time_us([&] { cub::DeviceReduce::Sum(temp, tempBytes, x, cubOut, (int)n); }));

        // Blocks of 256 threads (LaunchGeometry.BLOCK), as shipped: the kernel's __launch_bounds__(256, 8)
        // allows no wider block (rows at 512 and 1024 threads were added for a GPU run that never came;
        // the tail they would have shortened is what slot_sum and PDL go after now).
        struct Geometry { long long blocks; int threads; };
        for (Geometry geo : {Geometry{528, 256}, Geometry{1024, 256}, Geometry{1056, 256}, Geometry{2112, 256}}) {
            long long target = geo.blocks;
            const int threads = geo.threads;
            // ReduceLaunches.launch's arithmetic for one row of n elements.
            long long splits = std::min(target, n / (16LL * threads));
            long long chunk = ((n + splits - 1) / splits + 3) / 4 * 4;
            splits = (n + chunk - 1) / chunk;
            double* slots;
            CHECK(cudaMalloc(&slots, splits * 8));
            double us = time_us([&] {
                reduce_split_f32<<<(unsigned)splits, threads>>>(R_SUM, x, 0, n, n, chunk, splits, slots, nullptr, tickets,
                                                              out, 0, 1);
            });
            float got;
            CHECK(cudaMemcpy(&got, out, 4, cudaMemcpyDeviceToHost));
            char name[64];
            std::snprintf(name, sizeof name, "reduce_split_f32 %lld x %d", splits, threads);
            row(name, us);
            if (std::fabs(got - want) > 1e-5 * std::sqrt((double)n)) {
                std::printf("  WRONG: %.9g, want %.9g\n", got, want);
                return 1;
            }
            if (prop.major >= 9 && threads == BLOCK && geo.blocks == 1024) {
                // A programmatic dependent of the sum before it (its fm_grid_dependency waits).
                cudaLaunchAttribute attr;
                cudaLaunchConfig_t config = pdl_config((unsigned)splits, &attr);
                CHECK(cudaMemset(out, 0xff, 16));
                double pdlUs = time_us([&] {
                    CHECK(cudaLaunchKernelEx(&config, reduce_split_f32, (int)R_SUM, (const float*)x, (i64)0, (i64)n, (i64)n,
                                             (i64)chunk, (i64)splits, (void*)slots, (i64*)nullptr, tickets, (void*)out,
                                             (i64)0, (i64)1));
                });
                CHECK(cudaMemcpy(&got, out, 4, cudaMemcpyDeviceToHost));
                std::snprintf(name, sizeof name, "reduce_split_f32 %lld x %d, PDL", splits, threads);
                row(name, pdlUs);
                if (!(std::fabs(got - want) <= 1e-5 * std::sqrt((double)n))) {
                    std::printf("  WRONG: %.9g, want %.9g\n", got, want);
                    return 1;
                }
            }
            CHECK(cudaFree(slots));
        }

        // The shipped one-row kernel, reduce_sum_f32, as ReduceLaunches launches it (1024 chunks), alone
        // and as a programmatic dependent of the sum before it; and probe_split's shipped path with the
        // shipped kernels' fm_grid_dependency, launched without PDL (what the wait costs when nothing overlaps).
        {
            long long splits = std::min(1024LL, n / (16LL * BLOCK));
            long long chunk = ((n + splits - 1) / splits + 3) / 4 * 4;
            splits = (n + chunk - 1) / chunk;
            double* slots;
            CHECK(cudaMalloc(&slots, splits * 8));
            auto check = [&](const char* name) {
                float got;
                CHECK(cudaMemcpy(&got, out, 4, cudaMemcpyDeviceToHost));
                if (!(std::fabs(got - want) <= 1e-5 * std::sqrt((double)n))) {
                    std::printf("  WRONG (%s): %.9g, want %.9g\n", name, got, want);
                    std::exit(1);
                }
            };
            CHECK(cudaMemset(out, 0xff, 16));
            row("reduce_sum_f32", time_us([&] {
                    reduce_sum_f32<<<(unsigned)splits, BLOCK>>>(x, n, chunk, splits, slots, tickets, (float*)out);
                }));
            check("reduce_sum_f32");
            if (prop.major >= 9) {
                cudaLaunchAttribute attr;
                cudaLaunchConfig_t config = pdl_config((unsigned)splits, &attr);
                CHECK(cudaMemset(out, 0xff, 16));
                row("reduce_sum_f32, PDL", time_us([&] {
                        CHECK(cudaLaunchKernelEx(&config, reduce_sum_f32, (const float*)x, (i64)n, (i64)chunk, (i64)splits, slots,
                                                 tickets, (float*)out));
                    }));
                check("reduce_sum_f32, PDL");
                CHECK(cudaMemset(out, 0xff, 16));
                row("tree16, acq_rel, wait, no PDL", time_us([&] {
                        probe_split<MODE_TREE16, TAIL_ACQ_REL, PDL_WAIT_FIRST>
                            <<<(unsigned)splits, BLOCK>>>(x, n, chunk, splits, slots, tickets, (float*)out);
                    }));
                check("tree16, acq_rel, wait, no PDL");
            }
            CHECK(cudaFree(slots));
        }

        // Column sums of x as [n / 1024, 1024] over its rows (a bias gradient over a large batch): the
        // scalar column kernel (tiles of 32 columns) at 768 blocks, as ReduceLaunches launches it, and
        // at 1024; the quad one (tiles of 32 quads) likewise, at 528 and 396 blocks (4 and 3 an SM on an
        // H200: fewer, longer walkers and less to fold), with the walker loop as it was, and with
        // tiles capped at 16 and 8 quads (more tiles in fewer chunks each: less for a tile's last block
        // to fold), every column checked against an F64 sum; and the quad one with no tickets and no
        // fold (no result to check).
        {
            const long long cols = 1024, rows = n / cols;
            std::vector<double> wants(cols, 0.0);
            for (long long r = 0; r < rows; r++)
                for (long long c = 0; c < cols; c++) wants[c] += host[r * cols + c];
            float* sums;
            CHECK(cudaMalloc(&sums, cols * 4));
            double* slots;
            CHECK(cudaMalloc(&slots, 1024LL * 128 * 8));
            auto check = [&](const char* name) {
                std::vector<float> got(cols);
                CHECK(cudaMemcpy(got.data(), sums, cols * 4, cudaMemcpyDeviceToHost));
                for (long long c = 0; c < cols; c++) {
                    if (!(std::fabs(got[c] - wants[c]) <= 1e-5 * std::sqrt((double)rows))) {
                        std::printf("  WRONG (%s): column %lld %.9g, want %.9g\n", name, c, got[c], wants[c]);
                        std::exit(1);
                    }
                }
                CHECK(cudaMemset(sums, 0xff, cols * 4));  // NaN: the next kernel must write every column
            };
            std::printf("column sums of [%lld, %lld]\n", rows, cols);
            for (long long target : {768LL, 1024LL}) {
                long long tiles = cols / 32, splits = std::min((target + tiles - 1) / tiles, rows / 128);
                long long chunk = (rows + splits - 1) / splits;
                splits = (rows + chunk - 1) / chunk;
                char name[64];
                std::snprintf(name, sizeof name, "reduce_cols_f32 %lld x 256", tiles * splits);
                row(name, time_us([&] {
                        reduce_cols_f32<<<(unsigned)(tiles * splits), BLOCK>>>(R_SUM, x, 0, 0, cols, 1, 1, rows, cols, chunk, splits,
                                                                              slots, nullptr, tickets, sums, 0);
                    }));
                check(name);
            }
            // width 0: the 32-quad tiles with the walker loop as it was (OneGroupQuadSum).
            struct Quads { long long target; unsigned width; };
            for (Quads qg : {Quads{768, 32}, Quads{768, 0}, Quads{1024, 32}, Quads{528, 32}, Quads{396, 32}, Quads{768, 16}, Quads{768, 8}}) {
                const unsigned width = qg.width == 0 ? 32 : qg.width;
                long long tiles = cols / 4 / width, splits = std::min((qg.target + tiles - 1) / tiles, rows / 128);
                long long chunk = (rows + splits - 1) / splits;
                splits = (rows + chunk - 1) / chunk;
                auto kernel = qg.width == 32 ? reduce_cols_sum_f32x4
                              : qg.width == 0 ? probe_cols_quads<32, OneGroupQuadSum>
                              : qg.width == 16 ? probe_cols_quads<16> : probe_cols_quads<8>;
                char name[64];
                if (qg.width == 0) {
                    std::snprintf(name, sizeof name, "cols f32x4, one group a trip, %lld x 256", tiles * splits);
                } else {
                    std::snprintf(name, sizeof name, "cols f32x4, %u-quad tiles, %lld x 256", qg.width, tiles * splits);
                }
                row(name, time_us([&] {
                        kernel<<<(unsigned)(tiles * splits), BLOCK>>>(x, 0, cols, 1, rows, cols, chunk, splits, slots, tickets, sums);
                    }));
                check(name);
            }
            {
                long long tiles = cols / 128, splits = std::min((768 + tiles - 1) / tiles, rows / 128);
                long long chunk = (rows + splits - 1) / splits;
                splits = (rows + chunk - 1) / chunk;
                char name[64];
                std::snprintf(name, sizeof name, "cols f32x4, no tickets or fold, %lld x 256", tiles * splits);
                row(name, time_us([&] {
                        probe_cols_no_fold<<<(unsigned)(tiles * splits), BLOCK>>>(x, rows, cols, chunk, splits, slots);
                    }));
            }
            CHECK(cudaFree(slots));
            CHECK(cudaFree(sums));
        }

        // The variants at the shipped geometry (1024 blocks), with the error of each against the F64
        // sum, relative to the sum of magnitudes (the data is centred, so the sum itself is small).
        {
            long long splits = 1024, chunk = ((n + splits - 1) / splits + 3) / 4 * 4;
            splits = (n + chunk - 1) / chunk;
            double* slots;
            CHECK(cudaMalloc(&slots, splits * 8));
            double mag = 0;
            for (long long i = 0; i < n; i++) mag += std::fabs(host[i]);
            auto variant = [&](const char* name, auto kernel, bool tail) {
                CHECK(cudaMemset(out, 0xff, 16));  // NaN: a variant that never merges shows it in its error
                double us = time_us([&] { kernel<<<(unsigned)splits, BLOCK>>>(x, n, chunk, splits, slots, tickets, (float*)out); });
                char label[64];
                std::snprintf(label, sizeof label, "%s", name);
                row(label, us);
                if (tail) {
                    float got;
                    CHECK(cudaMemcpy(&got, out, 4, cudaMemcpyDeviceToHost));
                    std::printf("  error %.2e of the magnitudes' sum\n", std::fabs(got - want) / mag);
                }
            };
            variant("kahan, fence tail", probe_split<MODE_KAHAN, TAIL_FENCE>, true);
            variant("kahan, no tail", probe_split<MODE_KAHAN, TAIL_NONE>, false);
            variant("tree16, fence tail", probe_split<MODE_TREE16, TAIL_FENCE>, true);
            variant("tree16, acq_rel tail", probe_split<MODE_TREE16, TAIL_ACQ_REL>, true);
            variant("tree16, acq_rel tail, serial merge", probe_split<MODE_TREE16, TAIL_ACQ_REL_SERIAL>, true);
            variant("tree16, acq_rel tail, ldcg merge", probe_split<MODE_TREE16, TAIL_ACQ_REL_CG>, true);
            variant("tree16, warp 0 tail", probe_split<MODE_TREE16, TAIL_WARP>, true);
            variant("tree16, grouped tickets", probe_split<MODE_TREE16, TAIL_GROUPS>, true);
            variant("tree16, no tail", probe_split<MODE_TREE16, TAIL_NONE>, false);
            variant("plain f32, acq_rel tail", probe_split<MODE_PLAIN, TAIL_ACQ_REL>, true);
            auto pdl = [&](const char* name, auto kernel) {
                CHECK(cudaMemset(out, 0xff, 16));
                double us = time_us([&] { launch_pdl(kernel, (unsigned)splits, x, n, chunk, splits, slots, tickets, (float*)out); });
                row(name, us);
                float got;
                CHECK(cudaMemcpy(&got, out, 4, cudaMemcpyDeviceToHost));
                std::printf("  error %.2e of the magnitudes' sum\n", std::fabs(got - want) / mag);
            };
            if (prop.major >= 9) {
                pdl("tree16, acq_rel tail, PDL", probe_split<MODE_TREE16, TAIL_ACQ_REL, PDL_WAIT_FIRST>);
                pdl("tree16, PDL, x read before wait", probe_split<MODE_TREE16, TAIL_ACQ_REL, PDL_READ_FIRST>);
            } else {
                std::printf("(no PDL rows: sm_%d%d has no programmatic dependent launch)\n", prop.major, prop.minor);
            }
            CHECK(cudaFree(slots));
        }
        CHECK(cudaFree(temp));
        CHECK(cudaFree(cubOut));
        CHECK(cudaFree(x));
        CHECK(cudaFree(copy));
    }
    return 0;
}
