// The C entry points of the emulated CUDA driver (dev.fathom.cuda.EmulatedDriver): one
// emu_<kernel> per kernel of a module, which takes a cuLaunchKernel-style launch (geometry,
// dynamic shared bytes and the void** array of pointers to the arguments) and runs the kernel on
// the CPU through cuda_emu.h.
//
// The Emulator test helper generates one translation unit per src/main/cuda/*.cu:
//   #include "cuda_emu.h"  #include "<module>.cu"  #include "emu_trampoline.h"
//   FATHOM_EMU_ENTRY(fill_f32, 1) ...
// with one line per `.visible .entry` of the module's committed PTX, so the list never needs
// hand upkeep. The second argument is 1 when the PTX proves the kernel barrier-free (no bar,
// barrier, shfl, vote, match or redux instruction in it or in any function it calls): those run
// with emu_launch_sequential, the rest with emu_launch_fibers (the threads of a block as fibers on
// the calling thread, with real barrier semantics).
//
// Arguments are unpacked by the kernel's own parameter types (an index_sequence over the function
// pointer's parameter list), exactly as the driver reads kernelParams[i] with the width the PTX
// declares; the Java side checks those widths against the PTX before it calls.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace emu {
template <typename... P, std::size_t... I>
void call_unpacked(bool sequential, dim3 grid, dim3 block, std::size_t shared_bytes, void (*kernel)(P...),
                   void** args, std::index_sequence<I...>) {
    if (sequential) {
        dynamic_shared.assign(shared_bytes, 0);
        emu_launch_sequential(grid, block, kernel, *static_cast<std::remove_cvref_t<P>*>(args[I])...);
    } else {
        emu_launch_fibers(grid, block, shared_bytes, kernel, *static_cast<std::remove_cvref_t<P>*>(args[I])...);
    }
}

template <typename... P>
void call(bool sequential, dim3 grid, dim3 block, std::size_t shared_bytes, void (*kernel)(P...), void** args) {
    call_unpacked(sequential, grid, block, shared_bytes, kernel, args, std::index_sequence_for<P...>{});
}
}  // namespace emu

#define FATHOM_EMU_ENTRY(name, sequential)                                                                   \
    extern "C" __attribute__((visibility("default"))) void emu_##name(int gx, int gy, int gz, int bx, int by, \
                                                                       int bz, int shared_bytes, void** args) { \
        emu::call((sequential) != 0, dim3(gx, gy, gz), dim3(bx, by, bz), (std::size_t)shared_bytes, &name, args); \
    }
