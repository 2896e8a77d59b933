// Fused optimizer updates, in place and elementwise (Kernels.sgdUpdate, Kernels.adamUpdate), with
// torch.optim's semantics. Every operand is contiguous from its element offset, all of numel n.
//
// Launch: 1-D grid-stride, dev.fathom.cuda.LaunchGeometry.forElements(n); no shared memory, no
// barriers. Hyperparameters arrive as double and are rounded to T once per thread, so an F32 update
// is F32 arithmetic throughout (as PyTorch's F32 optimizers); the flags are ints (0 or 1), uniform
// across the grid, so their branches cost no divergence.
//
// Entries (extern "C", t = f32 float | f64 double):
//   sgd_update_<t>(T* param, i64 p_off, const T* grad, i64 g_off, T* buf, i64 b_off, i64 n,
//                  double lr, double momentum, double dampening, double weight_decay, int nesterov, int first_step)
//     g = grad + weight_decay·param; with momentum != 0: buf = first_step ? g : momentum·buf + (1 - dampening)·g,
//     g = nesterov ? g + momentum·buf : buf (buf may be null when momentum == 0); param -= lr·g.
//   adam_update_<t>(T* param, i64 p_off, const T* grad, i64 g_off, T* m, i64 m_off, T* v, i64 v_off,
//                   T* vmax, i64 vmax_off, i64 n, double lr, double beta1, double beta2, double eps,
//                   double weight_decay, double bias_correction1, double bias_correction2, int decoupled, int amsgrad)
//     Adam (Kingma & Ba 2015) or, when decoupled, AdamW (Loshchilov & Hutter 2019) at step t, with the
//     host's bias_correction1 = 1 - beta1^t and bias_correction2 = 1 - beta2^t (computed once in F64):
//     decoupled: param *= 1 - lr·weight_decay, else g = grad + weight_decay·param;
//     m = beta1·m + (1 - beta1)·g; v = beta2·v + (1 - beta2)·g²; amsgrad: vmax = max(vmax, v), used for v;
//     param -= lr / bias_correction1 · m / (sqrt(v) / sqrt(bias_correction2) + eps).
#include "fathom_kernels.cuh"

typedef long long i64;

template <typename T>
__device__ void sgd_update(T* param, i64 p_off, const T* grad, i64 g_off, T* buf, i64 b_off, i64 n, double lr,
                           double momentum, double dampening, double weight_decay, int nesterov, int first_step) {
    const T lr_t = (T)lr, mom = (T)momentum, keep = (T)(1.0 - dampening), wd = (T)weight_decay;
    FATHOM_GRID_STRIDE(i, n) {
        T p = param[p_off + i];
        T g = grad[g_off + i];
        if (weight_decay != 0) g += wd * p;
        if (momentum != 0) {
            T b = first_step ? g : mom * buf[b_off + i] + keep * g;
            buf[b_off + i] = b;
            g = nesterov ? g + mom * b : b;
        }
        param[p_off + i] = p - lr_t * g;
    }
}

template <typename T>
__device__ void adam_update(T* param, i64 p_off, const T* grad, i64 g_off, T* m, i64 m_off, T* v, i64 v_off, T* vmax,
                            i64 vmax_off, i64 n, double lr, double beta1, double beta2, double eps, double weight_decay,
                            double bias_correction1, double bias_correction2, int decoupled, int amsgrad) {
    const T b1 = (T)beta1, b2 = (T)beta2, c1 = (T)(1.0 - beta1), c2 = (T)(1.0 - beta2), wd = (T)weight_decay;
    const T decay = (T)(1.0 - lr * weight_decay), step_size = (T)(lr / bias_correction1);
    const T bc2_sqrt = (T)sqrt(bias_correction2), eps_t = (T)eps;
    FATHOM_GRID_STRIDE(i, n) {
        T p = param[p_off + i];
        T g = grad[g_off + i];
        if (weight_decay != 0) {
            if (decoupled) {
                p *= decay;
            } else {
                g += wd * p;
            }
        }
        T mi = b1 * m[m_off + i] + c1 * g;
        T vi = b2 * v[v_off + i] + c2 * g * g;
        m[m_off + i] = mi;
        v[v_off + i] = vi;
        if (amsgrad) {
            T vm = vmax[vmax_off + i];
            vi = vm > vi ? vm : vi;
            vmax[vmax_off + i] = vi;
        }
        param[p_off + i] = p - step_size * mi / (fm_sqrt(vi) / bc2_sqrt + eps_t);
    }
}

#define FATHOM_OPTIM(t, T)                                                                                       \
    extern "C" __global__ void sgd_update_##t(T* param, i64 p_off, const T* grad, i64 g_off, T* buf, i64 b_off,   \
                                              i64 n, double lr, double momentum, double dampening,                \
                                              double weight_decay, int nesterov, int first_step) {                \
        fm_grid_dependency();                                                                                     \
        sgd_update<T>(param, p_off, grad, g_off, buf, b_off, n, lr, momentum, dampening, weight_decay, nesterov,  \
                      first_step);                                                                                \
    }                                                                                                             \
    extern "C" __global__ void adam_update_##t(T* param, i64 p_off, const T* grad, i64 g_off, T* m, i64 m_off,    \
                                               T* v, i64 v_off, T* vmax, i64 vmax_off, i64 n, double lr,           \
                                               double beta1, double beta2, double eps, double weight_decay,        \
                                               double bias_correction1, double bias_correction2, int decoupled,    \
                                               int amsgrad) {                                                      \
        fm_grid_dependency();                                                                                     \
        adam_update<T>(param, p_off, grad, g_off, m, m_off, v, v_off, vmax, vmax_off, n, lr, beta1, beta2, eps,   \
                       weight_decay, bias_correction1, bias_correction2, decoupled, amsgrad);                     \
    }
FATHOM_OPTIM(f32, float)
FATHOM_OPTIM(f64, double)
#undef FATHOM_OPTIM
