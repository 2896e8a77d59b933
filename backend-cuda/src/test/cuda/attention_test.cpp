// Runs attention.cu's kernels on the CPU against an F64 reference written here; exits 1 if any case failed.
//
//   attention_test BH:LQ:LK:D:DV:CAUSAL:T32F:G32F:B32F:T32Q:G32Q:B32Q:T32K:G32K:B32K:T64F:...:B64K ...
//
// After the sizes come, per dtype (F32 then F64) and per kernel (forward, backward dq, backward
// dk/dv), the tile (threads per block), grid and dynamic shared bytes that
// dev.fathom.cuda.CudaAttention.plan computes; a grid of 0 means that kernel launches nothing.
// Each case runs forward then backward with the operands at different offsets between sentinels,
// and checks out, lse, dq, dk and dv. Inputs are uniform in [-2, 2], except that k's first row is
// shifted by +30 (a kernel that exponentiates a raw score overflows in F32).
#include "cuda_emu.h"
#include "attention.cu"
#include "fused_check.h"

#include <limits>
#include <string>

using fused::expect;
using fused::Guarded;

namespace {

struct Launch {
    unsigned tile, grid, shared;
};

struct Case {
    int bh, lq, lk, d, dv, causal;
    Launch f[2][3];  // [f32, f64][forward, dq, dkdv]
};

template <typename T> struct Entries;
template <> struct Entries<float> {
    static constexpr const char* name = "f32";
    static constexpr int index = 0;
    static constexpr auto fwd = attention_forward_f32, dq = attention_backward_dq_f32, dkdv = attention_backward_dkdv_f32;
};
template <> struct Entries<double> {
    static constexpr const char* name = "f64";
    static constexpr int index = 1;
    static constexpr auto fwd = attention_forward_f64, dq = attention_backward_dq_f64, dkdv = attention_backward_dkdv_f64;
};

template <typename... P, typename... A> void launch(const Launch& l, void (*k)(P...), A... args) {
    if (l.grid > 0) emu_launch_fibers(dim3(l.grid), dim3(l.tile), l.shared, k, args...);
}

int visible(const Case& c, int i) {
    if (!c.causal) return c.lk;
    long long n = (long long)i + c.lk - c.lq + 1;
    return n < 0 ? 0 : n > c.lk ? c.lk : (int)n;
}

template <typename T> void run(const Case& c, std::mt19937_64& rng) {
    ++fused::g_cases;
    const Launch* pl = c.f[Entries<T>::index];
    char where[240];
    std::snprintf(where, sizeof where, "attention_%s bh=%d lq=%d lk=%d d=%d dv=%d causal=%d tiles=%u/%u/%u grids=%u/%u/%u",
                  Entries<T>::name, c.bh, c.lq, c.lk, c.d, c.dv, c.causal, pl[0].tile, pl[1].tile, pl[2].tile, pl[0].grid,
                  pl[1].grid, pl[2].grid);
    const long long nq = (long long)c.bh * c.lq * c.d, nk = (long long)c.bh * c.lk * c.d, nv = (long long)c.bh * c.lk * c.dv;
    const long long no = (long long)c.bh * c.lq * c.dv, nl = (long long)c.bh * c.lq;
    std::uniform_real_distribution<double> u(-2, 2);
    Guarded<T> q(nq, 1), k(nk, 2), v(nv, 3), out(no, 4), lse(nl, 5), go(no, 2), gq(nq, 3), gk(nk, 1), gv(nv, 4);
    for (long long x = 0; x < nq; ++x) q[x] = (T)u(rng);
    for (long long x = 0; x < nk; ++x) k[x] = (T)u(rng);
    for (long long x = 0; x < nv; ++x) v[x] = (T)u(rng);
    for (long long x = 0; x < no; ++x) go[x] = (T)u(rng);
    for (int x = 0; x < c.d && c.lk > 0; ++x) k[x] += (T)30;
    const double scale = 1 / std::sqrt((double)c.d);

    launch(pl[0], Entries<T>::fwd, (const T*)q.base(), q.offset, (const T*)k.base(), k.offset, (const T*)v.base(), v.offset,
           out.base(), out.offset, lse.base(), lse.offset, c.bh, c.lq, c.lk, c.d, c.dv, scale, c.causal);
    launch(pl[2], Entries<T>::dkdv, (const T*)q.base(), q.offset, (const T*)k.base(), k.offset, (const T*)v.base(), v.offset,
           (const T*)out.base(), out.offset, (const T*)go.base(), go.offset, (const T*)lse.base(), lse.offset, gk.base(), gk.offset,
           gv.base(), gv.offset, c.bh, c.lq, c.lk, c.d, c.dv, scale, c.causal);
    launch(pl[1], Entries<T>::dq, (const T*)q.base(), q.offset, (const T*)k.base(), k.offset, (const T*)v.base(), v.offset,
           (const T*)out.base(), out.offset, (const T*)go.base(), go.offset, (const T*)lse.base(), lse.offset, gq.base(), gq.offset,
           c.bh, c.lq, c.lk, c.d, c.dv, scale, c.causal);

    // The reference in F64 from the same T inputs: softmax with the max shift, then the gradients
    // dS = P∘(dP - rowsum(dP∘P)) of the same dO.
    std::vector<double> ro(no, 0), rl(nl), rq(nq, 0), rk(nk, 0), rv(nv, 0);
    for (int h = 0; h < c.bh; ++h) {
        for (int i = 0; i < c.lq; ++i) {
            const long long row = (long long)h * c.lq + i;
            const int n = visible(c, i);
            if (n == 0) {
                rl[row] = -std::numeric_limits<double>::infinity();
                continue;
            }
            std::vector<double> p(n), dp(n, 0);
            double m = -std::numeric_limits<double>::infinity(), sum = 0, di = 0;
            for (int j = 0; j < n; ++j) {
                double s = 0;
                for (int x = 0; x < c.d; ++x) s += (double)q[row * c.d + x] * (double)k[((long long)h * c.lk + j) * c.d + x];
                p[j] = s * scale;
                m = std::max(m, p[j]);
            }
            for (int j = 0; j < n; ++j) sum += std::exp(p[j] - m);
            rl[row] = m + std::log(sum);
            for (int j = 0; j < n; ++j) {
                p[j] = std::exp(p[j] - m) / sum;
                for (int x = 0; x < c.dv; ++x) {
                    const double vv = v[((long long)h * c.lk + j) * c.dv + x];
                    ro[row * c.dv + x] += p[j] * vv;
                    dp[j] += (double)go[row * c.dv + x] * vv;
                }
                di += p[j] * dp[j];
            }
            for (int j = 0; j < n; ++j) {
                const double ds = p[j] * (dp[j] - di) * scale;
                const long long kr = (long long)h * c.lk + j;
                for (int x = 0; x < c.d; ++x) {
                    rq[row * c.d + x] += ds * (double)k[kr * c.d + x];
                    rk[kr * c.d + x] += ds * (double)q[row * c.d + x];
                }
                for (int x = 0; x < c.dv; ++x) rv[kr * c.dv + x] += p[j] * (double)go[row * c.dv + x];
            }
        }
    }
    const double tol = sizeof(T) == 4 ? 3e-5 : 1e-11;
    struct Out {
        const char* name;
        Guarded<T>* got;
        std::vector<double>* want;
    } outs[] = {{"out", &out, &ro}, {"lse", &lse, &rl}, {"dq", &gq, &rq}, {"dk", &gk, &rk}, {"dv", &gv, &rv}};
    for (const Out& o : outs) {
        int bad = 0;
        for (long long x = 0; x < o.got->numel && bad < 3; ++x) {
            const double want = (*o.want)[x];
            if (!expect(std::string(where) + " " + o.name, x, (double)(*o.got)[x], want, tol * (std::fabs(want) + 1))) ++bad;
        }
        if (!o.got->guards_intact()) fused::fail(std::string(where) + " wrote outside " + o.name);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::mt19937_64 rng(11);
    for (int a = 1; a < argc; ++a) {
        std::vector<long long> x = fused::split_ints(argv[a]);
        if (x.size() != 6 + 18) {
            std::printf("FAIL bad case %s (want BH:LQ:LK:D:DV:CAUSAL and 18 launch numbers)\n", argv[a]);
            return 2;
        }
        Case c{(int)x[0], (int)x[1], (int)x[2], (int)x[3], (int)x[4], (int)x[5], {}};
        for (int t = 0; t < 2; ++t)
            for (int kk = 0; kk < 3; ++kk) {
                const long long* l = &x[6 + (t * 3 + kk) * 3];
                c.f[t][kk] = Launch{(unsigned)l[0], (unsigned)l[1], (unsigned)l[2]};
            }
        run<float>(c, rng);
        run<double>(c, rng);
    }
    return fused::summary("attention_test");
}
