// Checks cuda_emu.h's concurrency model with kernels that need it: __shared__ memory and
// __syncthreads (a block-wide reversal that races without the barrier), warp shuffles (down and
// xor), atomicAdd on double, and dynamic shared memory. The kernels are written as CUDA C and
// launched with emu_launch (one std::thread per CUDA thread), or with --fibers through
// emu_launch_fibers (the emulated driver's mode). Prints one line per failure.
//
//   emu_selftest [--fibers] N:GRID:BLOCK...     (BLOCK a multiple of 32, at most 1024)
//   emu_selftest --deadlock                     (must abort: a barrier only some threads reach)
#include "cuda_emu.h"
#include "fathom_kernels.cuh"

#include <cstdio>
#include <random>
#include <string>
#include <vector>

// Block-wide reversal through static shared memory: thread t reads what thread blockDim-1-t
// wrote, so a missing or broken barrier returns stale values (or the previous block's).
__global__ void reverse_blocks(const float* in, float* out, long long n) {
    __shared__ float tile[1024];
    long long base = (long long)blockIdx.x * blockDim.x;
    long long i = base + threadIdx.x;
    tile[threadIdx.x] = i < n ? in[i] : -1.0f;
    __syncthreads();
    if (i < n) out[i] = tile[blockDim.x - 1 - threadIdx.x];
    __syncthreads();  // the tile is reused by the next block in the emulator's model too
}

// Sum of n values: grid-stride partial sums, a shuffle-down reduction per warp, warp totals
// through dynamic shared memory, an xor-butterfly over them in warp 0, one atomicAdd per block.
__global__ void block_sum(const double* x, long long n, double* total) {
    FATHOM_DYNAMIC_SHARED(double, warp_sums);
    double s = 0;
    FATHOM_GRID_STRIDE(i, n) { s += x[i]; }
    for (int d = 16; d > 0; d /= 2) s += __shfl_down_sync(0xffffffffu, s, d);
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    if (lane == 0) warp_sums[warp] = s;
    __syncthreads();
    if (warp == 0) {
        double w = lane < warps ? warp_sums[lane] : 0.0;
        for (int m = 16; m > 0; m /= 2) w += __shfl_xor_sync(0xffffffffu, w, m);
        if (lane == 0) atomicAdd(total, w);
    }
}

// Only the first 100 threads reach the barrier: a GPU hangs (or worse); emu_launch_fibers must
// abort with a message naming the block instead (emu_selftest --deadlock).
__global__ void skipped_barrier(int* x) {
    if (threadIdx.x < 100) __syncthreads();
    x[threadIdx.x] = 1;
}

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "--deadlock") {
        std::vector<int> x(256);
        emu_launch_fibers(dim3(2), dim3(256), 0, skipped_barrier, x.data());
        std::printf("emu_selftest --deadlock: the launch returned\n");
        return 0;
    }
    int failures = 0, cases = 0;
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(-1, 1);
    bool fibers = argc > 1 && std::string(argv[1]) == "--fibers";
    for (int a = fibers ? 2 : 1; a < argc; ++a) {
        long long n;
        unsigned grid, block;
        if (std::sscanf(argv[a], "%lld:%u:%u", &n, &grid, &block) != 3 || n < 1 || grid < 1 || block % 32 != 0 ||
            block == 0 || block > 1024) {
            std::fprintf(stderr, "emu_selftest: bad argument '%s'; expected N:GRID:BLOCK, BLOCK a multiple of 32\n",
                         argv[a]);
            return 2;
        }
        // reverse_blocks covers every element only with one thread per element.
        unsigned rgrid = (unsigned)((n + block - 1) / block);
        std::vector<float> in(n), out(n, 0.0f);
        for (auto& v : in) v = (float)u(rng);
        if (fibers) {
            emu_launch_fibers(dim3(rgrid), dim3(block), 0, reverse_blocks, in.data(), out.data(), n);
        } else {
            emu_launch(dim3(rgrid), dim3(block), reverse_blocks, in.data(), out.data(), n);
        }
        ++cases;
        for (long long i = 0; i < n; ++i) {
            // Element i takes its block's mirror element; in the tail block that may lie past n,
            // where the mirror thread stored -1.
            long long base = i / block * block, src = base + (block - 1) - (i - base);
            float want = src < n ? in[src] : -1.0f;
            if (out[i] != want) {
                std::printf("FAIL reverse_blocks n=%lld block=%u: element %lld got %g expected %g\n", n, block, i,
                            out[i], want);
                ++failures;
                break;
            }
        }
        std::vector<double> x(n);
        double want = 0;
        for (auto& v : x) { v = u(rng); want += v; }
        double total = 0;
        if (fibers) {
            emu_launch_fibers(dim3(grid), dim3(block), (block / 32) * sizeof(double), block_sum, x.data(), n, &total);
        } else {
            emu_launch_shared(dim3(grid), dim3(block), (block / 32) * sizeof(double), block_sum, x.data(), n, &total);
        }
        ++cases;
        if (std::fabs(total - want) > 1e-9 * (1 + std::fabs(want))) {
            std::printf("FAIL block_sum n=%lld geometry=%ux%u: got %.17g expected %.17g\n", n, grid, block, total, want);
            ++failures;
        }
    }
    std::printf("emu_selftest: %d cases, %d failed\n", cases, failures);
    return failures == 0 ? 0 : 1;
}
