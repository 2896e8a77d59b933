// Runs optim.cu's SGD and Adam updates on the CPU (sequential emulator: elementwise, no barriers)
// against F64 references written here; exits 1 if any case failed.
//
//   optim_test N:GRID:BLOCK ...
//
// GRID and BLOCK are dev.fathom.cuda.LaunchGeometry.forElements(N) (or a capped grid). For each
// size, F32 and F64: SGD over every combination of momentum (0, 0.9), dampening (0, 0.3),
// nesterov and weight decay (0, 0.01), and Adam over every combination of decoupled (AdamW),
// amsgrad and weight decay (0, 0.05), four steps each (SGD's first_step on step 1; Adam's step t
// in the bias corrections). Each step is checked against the F64 update of the kernel's own state
// before that step, so errors do not compound and a wrong step is named. Optional state (the
// momentum buffer at momentum 0, vmax without amsgrad) is a null pointer.
#include "cuda_emu.h"
#include "optim.cu"
#include "fused_check.h"

#include <string>

using fused::expect;
using fused::Guarded;

namespace {

template <typename T> struct Entries;
template <> struct Entries<float> {
    static constexpr const char* name = "f32";
    static constexpr auto sgd = sgd_update_f32;
    static constexpr auto adam = adam_update_f32;
};
template <> struct Entries<double> {
    static constexpr const char* name = "f64";
    static constexpr auto sgd = sgd_update_f64;
    static constexpr auto adam = adam_update_f64;
};

struct Geo {
    long long n;
    unsigned grid, block;
};

template <typename T> double rtol() { return sizeof(T) == 4 ? 6e-7 : 1e-15; }

template <typename T> void sgd(const Geo& c, double momentum, double dampening, bool nesterov, double wd,
                               std::mt19937_64& rng) {
    ++fused::g_cases;
    char where[200];
    std::snprintf(where, sizeof where, "sgd_update_%s n=%lld grid=%u block=%u momentum=%g dampening=%g nesterov=%d wd=%g",
                  Entries<T>::name, c.n, c.grid, c.block, momentum, dampening, (int)nesterov, wd);
    std::uniform_real_distribution<double> u(-1, 1);
    const double lr = 0.1;
    Guarded<T> p(c.n, 3), g(c.n, 1), buf(c.n, 2);
    for (long long i = 0; i < c.n; ++i) p[i] = (T)u(rng);
    T* bp = momentum != 0 ? buf.base() : nullptr;
    for (int step = 1; step <= 4; ++step) {
        for (long long i = 0; i < c.n; ++i) g[i] = (T)u(rng);
        std::vector<T> p0(p.buf), b0(buf.buf);
        emu_launch_sequential(dim3(c.grid), dim3(c.block), Entries<T>::sgd, p.base(), p.offset, (const T*)g.base(),
                              g.offset, bp, buf.offset, c.n, lr, momentum, dampening, wd, (int)nesterov, (int)(step == 1));
        int bad = 0;
        std::string at = std::string(where) + " step " + std::to_string(step);
        for (long long i = 0; i < c.n && bad < 3; ++i) {
            double pi = p0[p.offset + i], gi = (double)g[i] + wd * pi;
            double scale = std::fabs((double)g[i]) + wd * std::fabs(pi);  // g + wd·p may cancel
            if (momentum != 0) {
                double b = step == 1 ? gi : momentum * b0[buf.offset + i] + (1 - dampening) * gi;
                double bscale = step == 1 ? scale : std::fabs(momentum * b0[buf.offset + i]) + scale;
                if (!expect(at + " buf", i, (double)buf[i], b, 4 * rtol<T>() * bscale)) ++bad;
                scale = nesterov ? scale + momentum * bscale : bscale;
                gi = nesterov ? gi + momentum * b : b;
            }
            if (!expect(at + " param", i, (double)p[i], pi - lr * gi, 4 * rtol<T>() * (std::fabs(pi) + lr * scale)))
                ++bad;
        }
        if (!p.guards_intact() || !buf.guards_intact()) fused::fail(at + " wrote outside param or buf");
        if (momentum == 0 && buf[0] != T(-777)) fused::fail(at + " wrote the momentum buffer, which was null");
    }
}

template <typename T> void adam(const Geo& c, bool decoupled, bool amsgrad, double wd, std::mt19937_64& rng) {
    ++fused::g_cases;
    char where[200];
    std::snprintf(where, sizeof where, "adam_update_%s n=%lld grid=%u block=%u decoupled=%d amsgrad=%d wd=%g",
                  Entries<T>::name, c.n, c.grid, c.block, (int)decoupled, (int)amsgrad, wd);
    std::uniform_real_distribution<double> u(-1, 1);
    const double lr = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    Guarded<T> p(c.n, 3), g(c.n, 1), m(c.n, 2), v(c.n, 4), vmax(c.n, 1);
    for (long long i = 0; i < c.n; ++i) {
        p[i] = (T)u(rng);
        m[i] = 0;
        v[i] = 0;
        vmax[i] = 0;
    }
    T* vp = amsgrad ? vmax.base() : nullptr;
    for (int t = 1; t <= 4; ++t) {
        for (long long i = 0; i < c.n; ++i) g[i] = (T)(u(rng) * (t == 3 ? 0.01 : 1));  // v falls behind vmax at t = 3
        std::vector<T> p0(p.buf), m0(m.buf), v0(v.buf), vm0(vmax.buf);
        const double bc1 = 1 - std::pow(beta1, t), bc2 = 1 - std::pow(beta2, t);
        emu_launch_sequential(dim3(c.grid), dim3(c.block), Entries<T>::adam, p.base(), p.offset, (const T*)g.base(),
                              g.offset, m.base(), m.offset, v.base(), v.offset, vp, vmax.offset, c.n, lr, beta1, beta2,
                              eps, wd, bc1, bc2, (int)decoupled, (int)amsgrad);
        int bad = 0;
        std::string at = std::string(where) + " step " + std::to_string(t);
        const double r = rtol<T>();
        for (long long i = 0; i < c.n && bad < 3; ++i) {
            double pi = p0[p.offset + i], gi = g[i], gabs = std::fabs(gi);
            if (decoupled) {
                pi *= 1 - lr * wd;
            } else {
                gi += wd * pi;
                gabs += wd * std::fabs(pi);  // g + wd·p may cancel
            }
            double mi = beta1 * m0[m.offset + i] + (1 - beta1) * gi;
            double vi = beta2 * v0[v.offset + i] + (1 - beta2) * gi * gi;
            double mscale = beta1 * std::fabs(m0[m.offset + i]) + (1 - beta1) * gabs;
            double vscale = vi + 2 * (1 - beta2) * gabs * gabs;  // g·g doubles g's relative error
            if (!expect(at + " m", i, (double)m[i], mi, 4 * r * mscale)) ++bad;
            if (!expect(at + " v", i, (double)v[i], vi, 4 * r * vscale)) ++bad;
            double use = vi;
            if (amsgrad) {
                use = std::max((double)vm0[vmax.offset + i], (double)v[i]);  // the max of the stored T values
                if (!expect(at + " vmax", i, (double)vmax[i], use, 4 * r * vscale)) ++bad;
            }
            double denom = std::sqrt(use) / std::sqrt(bc2) + eps;
            double upd = lr / bc1 * mi / denom;
            // m/denom: relative errors of m (mscale/|m|) and of sqrt(v) (half of v's) add up.
            double rel = 8 * r * (1 + (mscale + 1e-300) / (std::fabs(mi) + 1e-300) + vscale / (use + 1e-300));
            double tol = 4 * r * std::fabs(pi) + rel * std::fabs(upd);
            if (!expect(at + " param", i, (double)p[i], pi - upd, tol)) ++bad;
        }
        if (!p.guards_intact() || !m.guards_intact() || !v.guards_intact() || !vmax.guards_intact())
            fused::fail(at + " wrote outside its operands");
        if (!amsgrad && vmax[0] != T(0)) fused::fail(at + " wrote vmax, which was null");
    }
}

template <typename T> void run(const Geo& c, std::mt19937_64& rng) {
    for (double momentum : {0.0, 0.9})
        for (double dampening : {0.0, 0.3})
            for (bool nesterov : {false, true})
                for (double wd : {0.0, 0.01}) sgd<T>(c, momentum, dampening, nesterov, wd, rng);
    for (bool decoupled : {false, true})
        for (bool amsgrad : {false, true})
            for (double wd : {0.0, 0.05}) adam<T>(c, decoupled, amsgrad, wd, rng);
}

}  // namespace

int main(int argc, char** argv) {
    std::mt19937_64 rng(5);
    for (int a = 1; a < argc; ++a) {
        std::vector<long long> v = fused::split_ints(argv[a]);
        if (v.size() != 3) {
            std::printf("FAIL bad case %s (want N:GRID:BLOCK)\n", argv[a]);
            return 2;
        }
        Geo c{v[0], (unsigned)v[1], (unsigned)v[2]};
        run<float>(c, rng);
        run<double>(c, rng);
    }
    return fused::summary("optim_test");
}
