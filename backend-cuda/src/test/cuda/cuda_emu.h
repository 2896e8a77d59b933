// CUDA emulation for kernel tests: include this, then a kernel .cu file, and compile the pair
// as C++ (g++ -std=c++20 -pthread -x c++). The .cu file compiles unchanged; its kernels run on
// the CPU through emu_launch(grid, block, kernel, args...).
//
// Model: the blocks of a grid run one after another; the threads of a block run at the same
// time, one std::thread each, so __syncthreads() is a real barrier across them and a kernel that
// races or lets some threads skip a barrier fails (or deadlocks) here as it would on a GPU.
// Because blocks never overlap, `__shared__` can be `static` storage; dynamic shared memory
// (FATHOM_DYNAMIC_SHARED) is one per-launch buffer of the requested size. Warp shuffles exchange
// values through a per-warp slot array between two per-warp barriers, so every lane of a warp
// must reach them, as CUDA requires. One set of blockDim.x·y·z threads serves every block of a
// launch (thread creation, not the kernels, dominates emulation time).
//
// emu_launch_fibers keeps those semantics but runs a block's threads as fibers on the calling
// thread, switching at every barrier and shuffle (about 100 times faster than std::threads per
// launch, deterministic, and a barrier some threads skip aborts with a message instead of
// hanging): the mode of the emulated CUDA driver (emu_trampoline.h).
//
// emu_launch_sequential runs the threads of each block one after another on the calling thread:
// hundreds of times faster, for kernels whose threads never wait for each other (elementwise
// maps). Any barrier or shuffle in such a launch aborts with a message, so it cannot hide one.
//
// What it does not model: memory ordering weaker than sequential consistency between threads,
// warp-synchronous code without explicit shuffles or __syncwarp, cooperative groups, textures.
#pragma once

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <math.h>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
#define __launch_bounds__(...)

struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};
using uint3 = dim3;

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
#define warpSize 32

namespace emu {
// A barrier between the fibers of emu_launch_fibers: they all run on one OS thread, so a counter
// and a generation are enough; a fiber that must wait yields to the scheduler until the last one
// arrives.
struct FiberBarrier {
    unsigned count = 0, arrived = 0;
    unsigned long long generation = 0;
};
void fiber_wait(FiberBarrier& b);

// The barriers of the block now running; set by emu_launch before the block's threads start.
struct BlockSync {
    std::unique_ptr<std::barrier<>> block;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::vector<std::uint64_t> slots;  // one 64-bit value per thread for shuffles
    bool fibers = false;               // emu_launch_fibers: the FiberBarriers below instead
    FiberBarrier fiber_block;
    std::vector<FiberBarrier> fiber_warps;

    void wait_block() {
        if (fibers) fiber_wait(fiber_block);
        else block->arrive_and_wait();
    }
    void wait_warp(unsigned warp) {
        if (fibers) fiber_wait(fiber_warps[warp]);
        else warps[warp]->arrive_and_wait();
    }
};
inline BlockSync* current = nullptr;
inline std::vector<unsigned char> dynamic_shared;

// Called by every block-level primitive: in emu_launch_sequential there is no block to wait for.
inline BlockSync* sync_or_die(const char* what) {
    if (current == nullptr) {
        std::fprintf(stderr, "cuda_emu: %s in a kernel launched with emu_launch_sequential; use emu_launch\n", what);
        std::abort();
    }
    return current;
}

inline unsigned linear_tid() { return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z); }

template <typename T> T shfl(T v, int src_lane_in_warp) {
    static_assert(sizeof(T) <= 8, "emulated shuffles move at most 8 bytes");
    unsigned tid = linear_tid(), warp = tid / 32, base = warp * 32;
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    sync_or_die("a warp shuffle");
    current->slots[tid] = bits;
    current->wait_warp(warp);
    unsigned threads = blockDim.x * blockDim.y * blockDim.z;
    unsigned lanes = std::min(32u, threads - base);
    // Lanes outside the warp (or past a partial warp) read their own value, as on a GPU.
    unsigned src = (src_lane_in_warp >= 0 && (unsigned)src_lane_in_warp < lanes) ? base + src_lane_in_warp : tid;
    std::uint64_t got = current->slots[src];
    current->wait_warp(warp);
    T out;
    std::memcpy(&out, &got, sizeof(T));
    return out;
}
}  // namespace emu

#define FATHOM_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(emu::dynamic_shared.data())

inline void __syncthreads() { emu::sync_or_die("__syncthreads")->wait_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) {
    emu::sync_or_die("__syncwarp")->wait_warp(emu::linear_tid() / 32);
}
inline unsigned lane_id_emu() { return emu::linear_tid() % 32; }

template <typename T> T __shfl_sync(unsigned, T v, int src, int width = 32) {
    int lane = lane_id_emu();
    return emu::shfl(v, (lane / width) * width + (src % width));
}
template <typename T> T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
    int lane = lane_id_emu(), seg = (lane / width) * width;
    int src = lane + (int)delta;
    return emu::shfl(v, src < seg + width ? src : lane);
}
template <typename T> T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
    int lane = lane_id_emu(), seg = (lane / width) * width;
    int src = lane - (int)delta;
    return emu::shfl(v, src >= seg ? src : lane);
}
template <typename T> T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
    int lane = lane_id_emu(), seg = (lane / width) * width;
    int src = lane ^ mask;
    return emu::shfl(v, src >= seg && src < seg + width ? src : lane);
}

// Atomics: read-modify-write through std::atomic_ref with a CAS loop, returning the old value.
template <typename T, typename F> T emu_atomic_update(T* p, F f) {
    std::atomic_ref<T> ref(*p);
    T old = ref.load();
    while (!ref.compare_exchange_weak(old, f(old))) {
    }
    return old;
}
template <typename T> T atomicAdd(T* p, T v) { return emu_atomic_update(p, [v](T o) { return o + v; }); }
template <typename T> T atomicMax(T* p, T v) { return emu_atomic_update(p, [v](T o) { return o > v ? o : v; }); }
template <typename T> T atomicMin(T* p, T v) { return emu_atomic_update(p, [v](T o) { return o < v ? o : v; }); }
template <typename T> T atomicExch(T* p, T v) { return emu_atomic_update(p, [v](T) { return v; }); }
template <typename T> T atomicCAS(T* p, T expected, T desired) {
    std::atomic_ref<T> ref(*p);
    ref.compare_exchange_strong(expected, desired);
    return expected;
}

// The emulator runs blocks one after another and its threads are sequentially consistent through
// their barriers and atomics; a full fence keeps the ordering a kernel asks for all the same.
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }

// CUDA's device math library has the C names (erff, expf, ..., erf, exp, ...): <math.h> provides
// them all in the global namespace; the few CUDA-only ones follow.
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __fdividef(float a, float b) { return a / b; }

// Runs kernel(args...) over grid × block on the CPU; returns when every block has finished.
// dynamic_shared_bytes sizes the buffer behind FATHOM_DYNAMIC_SHARED.
template <typename... P, typename... A>
void emu_launch_shared(dim3 grid, dim3 block, std::size_t dynamic_shared_bytes, void (*kernel)(P...), A&&... args) {
    const unsigned threads = block.x * block.y * block.z;
    const unsigned long long blocks = (unsigned long long)grid.x * grid.y * grid.z;
    if (threads == 0 || threads > 1024 || blocks == 0) {
        std::fprintf(stderr, "emu_launch: invalid geometry grid (%u,%u,%u) block (%u,%u,%u)\n", grid.x, grid.y,
                     grid.z, block.x, block.y, block.z);
        std::abort();
    }
    emu::BlockSync sync;
    sync.block = std::make_unique<std::barrier<>>(threads);
    for (unsigned w = 0; w * 32 < threads; ++w) {
        sync.warps.push_back(std::make_unique<std::barrier<>>(std::min(32u, threads - w * 32)));
    }
    sync.slots.assign(threads, 0);
    emu::current = &sync;
    emu::dynamic_shared.assign(dynamic_shared_bytes, 0);
    // Between blocks every thread waits here, so block b+1 starts only after all of block b ended
    // (static __shared__ storage is reused, as on a GPU where it is per block).
    std::barrier<> between(threads);
    auto call = std::function<void()>([&] { kernel(args...); });
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
            blockDim = block;
            gridDim = grid;
            for (unsigned long long b = 0; b < blocks; ++b) {
                blockIdx = dim3(b % grid.x, (b / grid.x) % grid.y, b / ((unsigned long long)grid.x * grid.y));
                call();
                between.arrive_and_wait();
            }
        });
    }
    for (auto& th : pool) th.join();
    emu::current = nullptr;
}

template <typename... P, typename... A> void emu_launch(dim3 grid, dim3 block, void (*kernel)(P...), A&&... args) {
    emu_launch_shared(grid, block, 0, kernel, std::forward<A>(args)...);
}

// Runs kernel(args...) over grid × block with every thread, block after block, called in turn on
// this thread. Only for kernels without __syncthreads, __syncwarp or shuffles (they abort here).
template <typename... P, typename... A>
void emu_launch_sequential(dim3 grid, dim3 block, void (*kernel)(P...), A&&... args) {
    const unsigned threads = block.x * block.y * block.z;
    const unsigned long long blocks = (unsigned long long)grid.x * grid.y * grid.z;
    if (threads == 0 || threads > 1024 || blocks == 0) {
        std::fprintf(stderr, "emu_launch_sequential: invalid geometry grid (%u,%u,%u) block (%u,%u,%u)\n", grid.x,
                     grid.y, grid.z, block.x, block.y, block.z);
        std::abort();
    }
    emu::current = nullptr;
    blockDim = block;
    gridDim = grid;
    for (unsigned long long b = 0; b < blocks; ++b) {
        blockIdx = dim3(b % grid.x, (b / grid.x) % grid.y, b / ((unsigned long long)grid.x * grid.y));
        for (unsigned t = 0; t < threads; ++t) {
            threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
            kernel(args...);
        }
    }
}

// ---- emu_launch_fibers: the threads of a block as fibers on the calling thread ----------------
//
// Runs kernel(args...) over grid × block with the same barrier semantics as emu_launch, but each
// CUDA thread is a fiber (its own stack) on the calling OS thread and __syncthreads, __syncwarp
// and shuffles switch between fibers: a few nanoseconds instead of a futex round trip per thread,
// which is what makes a whole test suite of launches affordable (dev.fathom.cuda.EmulatedDriver).
// Fibers resume round robin, so runs are deterministic. A block in which every unfinished fiber
// waits at a barrier that can never fill (a thread skipped it) aborts with a message instead of
// hanging. Only x86-64 has the context switch; elsewhere this falls back to emu_launch_shared.
#if defined(__x86_64__)
#include <sys/mman.h>
#include <unistd.h>

namespace emu {
// Saves the callee-saved registers and the SSE/x87 control words on the current stack, stores
// the stack pointer in *save, and continues on the stack at load (System V x86-64 ABI). noipa:
// callers must treat it as an opaque call that may change any memory.
[[maybe_unused]] __attribute__((naked, noinline, noipa)) static void fiber_switch(void** /*save*/, void* /*load*/) {
    asm("pushq %rbp\n\t"
        "pushq %rbx\n\t"
        "pushq %r12\n\t"
        "pushq %r13\n\t"
        "pushq %r14\n\t"
        "pushq %r15\n\t"
        "subq $8, %rsp\n\t"
        "stmxcsr (%rsp)\n\t"
        "fnstcw 4(%rsp)\n\t"
        "movq %rsp, (%rdi)\n\t"
        "movq %rsi, %rsp\n\t"
        "ldmxcsr (%rsp)\n\t"
        "fldcw 4(%rsp)\n\t"
        "addq $8, %rsp\n\t"
        "popq %r15\n\t"
        "popq %r14\n\t"
        "popq %r13\n\t"
        "popq %r12\n\t"
        "popq %rbx\n\t"
        "popq %rbp\n\t"
        "ret\n\t");
}

struct Fibers {
    static constexpr std::size_t STACK = 128 * 1024;  // per fiber; kernels' frames are small
    char* region = nullptr;                           // mmap'd stacks, each above a guard page
    std::size_t capacity = 0;                         // fibers the region holds
    std::vector<void*> sp;
    std::vector<unsigned char> done;
    void* scheduler_sp = nullptr;
    unsigned running = 0;
    std::function<void()>* body = nullptr;
    unsigned long long progress = 0;  // barrier arrivals and finished fibers, for deadlock detection

    std::size_t slot() const { return STACK + (std::size_t)sysconf(_SC_PAGESIZE); }
    void reserve(unsigned n) {
        if (n <= capacity) return;
        if (region != nullptr) munmap(region, capacity * slot());
        void* r = mmap(nullptr, n * slot(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r == MAP_FAILED) {
            std::fprintf(stderr, "cuda_emu: cannot map %u fiber stacks\n", n);
            std::abort();
        }
        region = static_cast<char*>(r);
        for (unsigned i = 0; i < n; ++i) mprotect(region + i * slot(), (std::size_t)sysconf(_SC_PAGESIZE), PROT_NONE);
        capacity = n;
        sp.resize(n);
        done.resize(n);
    }
};
inline Fibers fibers;

[[noreturn]] inline void fiber_main() {
    (*fibers.body)();
    fibers.done[fibers.running] = 1;
    ++fibers.progress;
    void* finished;
    fiber_switch(&finished, fibers.scheduler_sp);
    __builtin_unreachable();
}

// A fresh stack for fiber i whose first switch "returns" into fiber_main with the ABI's alignment.
inline void* fiber_prepare(unsigned i) {
    auto top = reinterpret_cast<std::uintptr_t>(fibers.region + (i + 1) * fibers.slot()) & ~std::uintptr_t(15);
    void** sp = reinterpret_cast<void**>(top);
    *--sp = nullptr;                                   // fiber_main's own return address: never used
    *--sp = reinterpret_cast<void*>(&fiber_main);      // popped by fiber_switch's ret
    for (int r = 0; r < 6; ++r) *--sp = nullptr;       // rbp, rbx, r12-r15
    std::uint32_t mxcsr;
    std::uint16_t fpucw;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpucw));
    --sp;
    std::memcpy(sp, &mxcsr, 4);
    std::memcpy(reinterpret_cast<char*>(sp) + 4, &fpucw, 2);
    return sp;
}

inline void fiber_wait(FiberBarrier& b) {
    const unsigned long long g = b.generation;
    ++fibers.progress;
    if (++b.arrived == b.count) {
        b.arrived = 0;
        ++b.generation;
        return;
    }
    while (b.generation == g) {
        fiber_switch(&fibers.sp[fibers.running], fibers.scheduler_sp);
        asm volatile("" ::: "memory");
    }
}
}  // namespace emu

template <typename... P, typename... A>
void emu_launch_fibers(dim3 grid, dim3 block, std::size_t dynamic_shared_bytes, void (*kernel)(P...), A&&... args) {
    const unsigned threads = block.x * block.y * block.z;
    const unsigned long long blocks = (unsigned long long)grid.x * grid.y * grid.z;
    if (threads == 0 || threads > 1024 || blocks == 0) {
        std::fprintf(stderr, "emu_launch_fibers: invalid geometry grid (%u,%u,%u) block (%u,%u,%u)\n", grid.x, grid.y,
                     grid.z, block.x, block.y, block.z);
        std::abort();
    }
    emu::BlockSync sync;
    sync.fibers = true;
    sync.fiber_block.count = threads;
    for (unsigned w = 0; w * 32 < threads; ++w) {
        emu::FiberBarrier b;
        b.count = std::min(32u, threads - w * 32);
        sync.fiber_warps.push_back(b);
    }
    sync.slots.assign(threads, 0);
    emu::current = &sync;
    emu::dynamic_shared.assign(dynamic_shared_bytes, 0);
    auto call = std::function<void()>([&] { kernel(args...); });
    emu::Fibers& f = emu::fibers;
    f.reserve(threads);
    f.body = &call;
    blockDim = block;
    gridDim = grid;
    for (unsigned long long b = 0; b < blocks; ++b) {
        blockIdx = dim3(b % grid.x, (b / grid.x) % grid.y, b / ((unsigned long long)grid.x * grid.y));
        for (unsigned t = 0; t < threads; ++t) {
            f.sp[t] = emu::fiber_prepare(t);
            f.done[t] = 0;
        }
        unsigned live = threads;
        while (live > 0) {
            const unsigned long long before = f.progress;
            for (unsigned t = 0; t < threads; ++t) {
                if (f.done[t]) continue;
                f.running = t;
                threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
                emu::fiber_switch(&f.scheduler_sp, f.sp[t]);
                asm volatile("" ::: "memory");
                if (f.done[t]) --live;
            }
            if (live > 0 && f.progress == before) {
                std::fprintf(stderr, "cuda_emu: deadlock in block (%u,%u,%u): %u of %u threads wait at a barrier "
                             "that the others never reach (a __syncthreads or shuffle inside a branch?)\n",
                             blockIdx.x, blockIdx.y, blockIdx.z, live, threads);
                std::abort();
            }
        }
    }
    f.body = nullptr;
    emu::current = nullptr;
}
#else
template <typename... P, typename... A>
void emu_launch_fibers(dim3 grid, dim3 block, std::size_t dynamic_shared_bytes, void (*kernel)(P...), A&&... args) {
    emu_launch_shared(grid, block, dynamic_shared_bytes, kernel, std::forward<A>(args)...);
}
#endif
