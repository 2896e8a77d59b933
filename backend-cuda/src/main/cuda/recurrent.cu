// Fused recurrent cells (Kernels.lstmCell, Kernels.lstmCellBackward): one LSTM step's elementwise
// part in one pass, where the composite of dev.fathom.nn.LSTM takes ten kernels forward and more
// back. Every operand is contiguous from its element offset; R rows of H units, n = R·H.
//
// Launch: 1-D grid-stride over the n units, dev.fathom.cuda.LaunchGeometry.forElements(n); no
// shared memory, no barriers. Thread i is unit (r, j) = (i / H, i % H): it reads its four gate
// pre-activations (stride H apart in row r), computes in T (F32 in F32, as the unary kernels) and
// writes its outputs, so a warp's loads and stores of each gate are contiguous runs. The division
// is 32-bit whenever i and H fit (a 64-bit one is a long software sequence on the GPU). Each
// thread reads all of its inputs before it writes, and no two threads touch the same element.
//
// Layouts (PyTorch's gate order: input, forget, cell, output):
//   gates [R, 4H]: z_i, z_f, z_g, z_o, each H wide;  c [R, H]: the previous cell state;
//   out [2, R, H]: h' then c';  acts [R, 5H]: i, f, g, o, tanh(c'), each H wide;
//   gradOut like out (the gradients of h' and c'); gradGates like gates; gradC like c.
//   Optional addends (a null pointer: none), which save a recurrent layer an add launch per step:
//   inputGates like gates (the step's input projection), gradH like c (the next step's dh).
//
// Entries (extern "C", t = f32 float | f64 double):
//   lstm_cell_<t>(const T* gates, i64 g_off, const T* input_gates, i64 x_off, const T* c, i64 c_off,
//                 T* out, i64 o_off, T* acts, i64 a_off, i64 rows, i64 hidden)
//     z = gates + input_gates (or gates alone when input_gates is null);
//     i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o) (σ: fm_sigmoid, UnaryOp.SIGMOID's);
//     c' = f·cPrev + i·g, h' = o·tanh(c'); out[0, r, j] = h', out[1, r, j] = c';
//     acts[r] = (i, f, g, o, tanh(c')).
//   lstm_cell_backward_<t>(const T* acts, i64 a_off, const T* c, i64 c_off, const T* grad_out,
//                          i64 go_off, const T* grad_h, i64 gh_off, T* grad_gates, i64 gg_off, T* grad_c,
//                          i64 gc_off, i64 rows, i64 hidden)
//     with gh = gradOut[0, r, j] (+ gradH[r, j] when grad_h is not null), gc = gradOut[1, r, j],
//     t = tanh(c'): dc = gc + gh·o·(1 - t²);
//     gradGates[r] = (dc·g·i·(1 - i), dc·cPrev·f·(1 - f), dc·i·(1 - g²), gh·t·o·(1 - o));
//     gradC = dc·f.
#include "fathom_kernels.cuh"

typedef long long i64;

// (r, j) of unit i in rows of h units.
__device__ __forceinline__ void lstm_unit(i64 i, i64 h, i64& r, i64& j) {
    if (((unsigned long long)(i | h) >> 32) == 0) {
        r = (i64)((unsigned)i / (unsigned)h);
    } else {
        r = i / h;
    }
    j = i - r * h;
}

template <typename T>
__device__ void lstm_cell(const T* gates, i64 g_off, const T* input_gates, i64 x_off, const T* c, i64 c_off, T* out,
                          i64 o_off, T* acts, i64 a_off, i64 rows, i64 hidden) {
    const i64 n = rows * hidden;
    FATHOM_GRID_STRIDE(u, n) {
        i64 r, j;
        lstm_unit(u, hidden, r, j);
        const T* z = gates + g_off + r * 4 * hidden + j;
        const T c_prev = c[c_off + u];
        T zi = z[0], zf = z[hidden], zg = z[2 * hidden], zo = z[3 * hidden];
        if (input_gates != nullptr) {
            const T* x = input_gates + x_off + r * 4 * hidden + j;
            zi += x[0];
            zf += x[hidden];
            zg += x[2 * hidden];
            zo += x[3 * hidden];
        }
        const T i = fm_sigmoid(zi), f = fm_sigmoid(zf), g = fm_tanh(zg), o = fm_sigmoid(zo);
        const T c_next = f * c_prev + i * g;
        const T t = fm_tanh(c_next);
        out[o_off + u] = o * t;
        out[o_off + n + u] = c_next;
        T* a = acts + a_off + r * 5 * hidden + j;
        a[0] = i;
        a[hidden] = f;
        a[2 * hidden] = g;
        a[3 * hidden] = o;
        a[4 * hidden] = t;
    }
}

template <typename T>
__device__ void lstm_cell_backward(const T* acts, i64 a_off, const T* c, i64 c_off, const T* grad_out, i64 go_off,
                                   const T* grad_h, i64 gh_off, T* grad_gates, i64 gg_off, T* grad_c, i64 gc_off, i64 rows,
                                   i64 hidden) {
    const i64 n = rows * hidden;
    FATHOM_GRID_STRIDE(u, n) {
        i64 r, j;
        lstm_unit(u, hidden, r, j);
        const T* a = acts + a_off + r * 5 * hidden + j;
        const T i = a[0], f = a[hidden], g = a[2 * hidden], o = a[3 * hidden], t = a[4 * hidden];
        const T c_prev = c[c_off + u];
        const T gh = grad_h == nullptr ? grad_out[go_off + u] : grad_out[go_off + u] + grad_h[gh_off + u];
        const T gc = grad_out[go_off + n + u];
        const T dc = gc + gh * o * (T(1) - t * t);
        T* gz = grad_gates + gg_off + r * 4 * hidden + j;
        gz[0] = dc * g * i * (T(1) - i);
        gz[hidden] = dc * c_prev * f * (T(1) - f);
        gz[2 * hidden] = dc * i * (T(1) - g * g);
        gz[3 * hidden] = gh * t * o * (T(1) - o);
        grad_c[gc_off + u] = dc * f;
    }
}

#define FATHOM_RECURRENT(t, T)                                                                                    \
    extern "C" __global__ void lstm_cell_##t(const T* gates, i64 g_off, const T* input_gates, i64 x_off,          \
                                             const T* c, i64 c_off, T* out, i64 o_off, T* acts, i64 a_off,         \
                                             i64 rows, i64 hidden) {                                              \
        fm_grid_dependency();                                                                                    \
        lstm_cell<T>(gates, g_off, input_gates, x_off, c, c_off, out, o_off, acts, a_off, rows, hidden);         \
    }                                                                                                             \
    extern "C" __global__ void lstm_cell_backward_##t(const T* acts, i64 a_off, const T* c, i64 c_off,            \
                                                      const T* grad_out, i64 go_off, const T* grad_h, i64 gh_off, \
                                                      T* grad_gates, i64 gg_off, T* grad_c, i64 gc_off, i64 rows, \
                                                      i64 hidden) {                                               \
        fm_grid_dependency();                                                                                      \
        lstm_cell_backward<T>(acts, a_off, c, c_off, grad_out, go_off, grad_h, gh_off, grad_gates, gg_off, grad_c, \
                              gc_off, rows, hidden);                                                              \
    }
FATHOM_RECURRENT(f32, float)
FATHOM_RECURRENT(f64, double)
#undef FATHOM_RECURRENT
