// Runs attention.cu's kernels on the CPU against an F64 reference written here; exits 1 if any case failed.
//
//   attention_test B:H:LQ:LK:D:DV:CAUSAL:LAYOUT:T32F:G32F:B32F:T32Q:G32Q:B32Q:T32K:G32K:B32K:T64F:...:B64K ...
//
// After the sizes and the layout come, per dtype (F32 then F64) and per kernel (forward, backward
// dq, backward dk/dv), the tile (threads per block), grid and dynamic shared bytes that
// dev.fathom.cuda.CudaAttention.plan computes; a grid of 0 means that kernel launches nothing.
// LAYOUT places the operands (Place): 0 all contiguous; 1 all but lse with the heads within the
// rows ([b, l, h, d] in memory, a projection's split); 2 mixed: q, out and dk with two unused
// elements after each row, k and v one head shared by all (head stride 0), grad_out and dq heads
// in rows, dv contiguous. Each case runs forward then backward with the operands at different
// offsets between sentinels, and checks out, lse, dq, dk and dv, and that no output element
// outside its rows was written. Inputs are uniform in [-2, 2], except that k's first row is
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
    int b, h, lq, lk, d, dv, causal, layout;
    Launch f[2][3];  // [f32, f64][forward, dq, dkdv]
};

enum Place { CONTIGUOUS, HEADS_IN_ROWS, PADDED_ROWS, SHARED_HEAD };

// An operand [b, h, rows, width] placed in a guarded buffer: element (bb, hh, i, c) of the logical
// view is at offset + bb·sb + hh·sh + i·sr + c.
template <typename T> struct Operand {
    Guarded<T> mem;
    long long sb, sh, sr;
    int b, h, rows, width;
    static long long size(Place p, int b, int h, int rows, int width) {
        return (long long)b * (p == SHARED_HEAD ? 1 : h) * rows * (width + (p == PADDED_ROWS ? 2 : 0));
    }
    Operand(Place p, int b_, int h_, int rows_, int width_, long long off)
        : mem(size(p, b_, h_, rows_, width_), off), b(b_), h(h_), rows(rows_), width(width_) {
        const long long w = width + (p == PADDED_ROWS ? 2 : 0);
        switch (p) {
            case HEADS_IN_ROWS: sr = (long long)h * w, sh = w, sb = (long long)rows * h * w; break;
            case SHARED_HEAD: sr = w, sh = 0, sb = (long long)rows * w; break;
            default: sr = w, sh = (long long)rows * w, sb = (long long)h * rows * w; break;
        }
    }
    long long at(int bb, int hh, int i, int c) const { return bb * sb + hh * sh + i * sr + c; }
    // Logical element x of the row-major [b, h, rows, width] view.
    T& operator[](long long x) {
        const int c = (int)(x % width), i = (int)(x / width % rows), hh = (int)(x / width / rows % h), bb = (int)(x / width / rows / h);
        return mem[at(bb, hh, i, c)];
    }
    long long numel() const { return (long long)b * h * rows * width; }
    // The elements of the buffer that are no element of the view (a padded row's tail) still hold fill.
    bool gaps_intact(T fill = T(-777)) {
        std::vector<char> used(mem.numel, 0);
        for (long long x = 0; x < numel(); ++x) used[&(*this)[x] - &mem[0]] = 1;
        for (long long x = 0; x < mem.numel; ++x)
            if (!used[x] && mem[x] != fill) return false;
        return mem.guards_intact(fill);
    }
};

// The placements of q, k, v, out, grad_out, dq, dk, dv for a case's layout.
const Place* places(int layout) {
    static const Place all[3][8] = {
        {CONTIGUOUS, CONTIGUOUS, CONTIGUOUS, CONTIGUOUS, CONTIGUOUS, CONTIGUOUS, CONTIGUOUS, CONTIGUOUS},
        {HEADS_IN_ROWS, HEADS_IN_ROWS, HEADS_IN_ROWS, HEADS_IN_ROWS, HEADS_IN_ROWS, HEADS_IN_ROWS, HEADS_IN_ROWS, HEADS_IN_ROWS},
        {PADDED_ROWS, SHARED_HEAD, SHARED_HEAD, PADDED_ROWS, HEADS_IN_ROWS, HEADS_IN_ROWS, PADDED_ROWS, CONTIGUOUS}};
    return all[layout];
}

// An operand's five kernel arguments.
#define ARGS(T, x) (T*)x.mem.base(), x.mem.offset, x.sb, x.sh, x.sr

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
    char where[260];
    std::snprintf(where, sizeof where, "attention_%s b=%d h=%d lq=%d lk=%d d=%d dv=%d causal=%d layout=%d tiles=%u/%u/%u grids=%u/%u/%u",
                  Entries<T>::name, c.b, c.h, c.lq, c.lk, c.d, c.dv, c.causal, c.layout, pl[0].tile, pl[1].tile, pl[2].tile,
                  pl[0].grid, pl[1].grid, pl[2].grid);
    const int bh = c.b * c.h;
    const Place* pc = places(c.layout);
    Operand<T> q(pc[0], c.b, c.h, c.lq, c.d, 1), k(pc[1], c.b, c.h, c.lk, c.d, 2), v(pc[2], c.b, c.h, c.lk, c.dv, 3);
    Operand<T> out(pc[3], c.b, c.h, c.lq, c.dv, 4), go(pc[4], c.b, c.h, c.lq, c.dv, 2);
    Operand<T> gq(pc[5], c.b, c.h, c.lq, c.d, 3), gk(pc[6], c.b, c.h, c.lk, c.d, 1), gv(pc[7], c.b, c.h, c.lk, c.dv, 4);
    Guarded<T> lse((long long)bh * c.lq, 5);
    std::uniform_real_distribution<double> u(-2, 2);
    // A shared head's elements are drawn once (the later heads' writes land on the same element).
    for (Operand<T>* in : {&q, &k, &v, &go})
        for (long long x = 0; x < in->numel(); ++x) (*in)[x] = (T)u(rng);
    for (int x = 0; x < c.d && c.lk > 0; ++x) k[x] += (T)30;
    const double scale = 1 / std::sqrt((double)c.d);
    const long long nq = q.numel(), nk = k.numel(), nv = v.numel(), no = out.numel(), nl = (long long)bh * c.lq;

    launch(pl[0], Entries<T>::fwd, ARGS(const T, q), ARGS(const T, k), ARGS(const T, v), ARGS(T, out), lse.base(), lse.offset, bh, c.h,
           c.lq, c.lk, c.d, c.dv, scale, c.causal);
    launch(pl[2], Entries<T>::dkdv, ARGS(const T, q), ARGS(const T, k), ARGS(const T, v), ARGS(const T, out), ARGS(const T, go),
           (const T*)lse.base(), lse.offset, ARGS(T, gk), ARGS(T, gv), bh, c.h, c.lq, c.lk, c.d, c.dv, scale, c.causal);
    launch(pl[1], Entries<T>::dq, ARGS(const T, q), ARGS(const T, k), ARGS(const T, v), ARGS(const T, out), ARGS(const T, go),
           (const T*)lse.base(), lse.offset, ARGS(T, gq), bh, c.h, c.lq, c.lk, c.d, c.dv, scale, c.causal);

    // The reference in F64 from the same T inputs: softmax with the max shift, then the gradients
    // dS = P∘(dP - rowsum(dP∘P)) of the same dO.
    std::vector<double> ro(no, 0), rl(nl), rq(nq, 0), rk(nk, 0), rv(nv, 0);
    for (int h = 0; h < bh; ++h) {
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
        Operand<T>* got;
        std::vector<double>* want;
    } outs[] = {{"out", &out, &ro}, {"dq", &gq, &rq}, {"dk", &gk, &rk}, {"dv", &gv, &rv}};
    for (const Out& o : outs) {
        int bad = 0;
        for (long long x = 0; x < o.got->numel() && bad < 3; ++x) {
            const double want = (*o.want)[x];
            if (!expect(std::string(where) + " " + o.name, x, (double)(*o.got)[x], want, tol * (std::fabs(want) + 1))) ++bad;
        }
        if (!o.got->gaps_intact()) fused::fail(std::string(where) + " wrote outside the rows of " + o.name);
    }
    int bad = 0;
    for (long long x = 0; x < nl && bad < 3; ++x)
        if (!expect(std::string(where) + " lse", x, (double)lse[x], rl[x], tol * (std::fabs(rl[x]) + 1))) ++bad;
    if (!lse.guards_intact()) fused::fail(std::string(where) + " wrote outside lse");
}

}  // namespace

int main(int argc, char** argv) {
    std::mt19937_64 rng(11);
    for (int a = 1; a < argc; ++a) {
        std::vector<long long> x = fused::split_ints(argv[a]);
        if (x.size() != 8 + 18 || x[7] < 0 || x[7] > 2) {
            std::printf("FAIL bad case %s (want B:H:LQ:LK:D:DV:CAUSAL:LAYOUT, LAYOUT 0..2, and 18 launch numbers)\n", argv[a]);
            return 2;
        }
        Case c{(int)x[0], (int)x[1], (int)x[2], (int)x[3], (int)x[4], (int)x[5], (int)x[6], (int)x[7], {}};
        for (int t = 0; t < 2; ++t)
            for (int kk = 0; kk < 3; ++kk) {
                const long long* l = &x[8 + (t * 3 + kk) * 3];
                c.f[t][kk] = Launch{(unsigned)l[0], (unsigned)l[1], (unsigned)l[2]};
            }
        run<float>(c, rng);
        run<double>(c, rng);
    }
    return fused::summary("attention_test");
}
