// Runs pool.cu's kernels on the CPU (through cuda_emu.h; they have no barriers, so sequentially)
// against F64 references written here from the definitions in dev.fathom.spi.Kernels; prints one
// line per failing case and exits 1 if any failed.
//
//   pool_test SHAPE/FWD/BWD...
//
// SHAPE = N:C:H:W:KH:KW:sH:sW:pH:pW:dH:dW, FWD = GRID:BLOCK over the outputs and BWD = GRID:BLOCK
// over the inputs, as dev.fathom.cuda.PoolGeometry computes them (PoolKernelEmulationTest passes
// them). Every shape runs F32 and F64: max pooling forward on random reals, on small integers (ties:
// the first position in window order must win) and on reals with NaNs (a NaN wins), and its
// backward from the kernel's own indices; when the dilation is 1, average pooling forward and
// backward with count_include_pad 1 and 0. Inputs sit at an offset with NaN on both sides;
// outputs start as NaN between sentinels that must survive.
#include "cuda_emu.h"
#include "pool.cu"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

int g_failures = 0;
int g_cases = 0;
std::mt19937_64 g_rng(20261125);

struct Case {
    int n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
    unsigned fwd_grid, fwd_block, bwd_grid, bwd_block;
};

#define SHAPE_ARGS(c) c.n, c.c, c.h, c.w, c.kh, c.kw, c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, c.oh, c.ow

std::string describe(const Case& c) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "N%d C%d %dx%d k%dx%d s%d,%d p%d,%d d%d,%d -> %dx%d", c.n, c.c, c.h, c.w, c.kh, c.kw,
                  c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, c.oh, c.ow);
    return buf;
}

const long long PAD = 29;

enum Kind { REAL, TIES, NANS };
const char* kind_name(Kind k) { return k == REAL ? "reals" : k == TIES ? "ties" : "NaNs"; }

template <typename T> std::vector<T> operand(long long len, Kind kind) {
    std::vector<T> v(len + 2 * PAD, std::numeric_limits<T>::quiet_NaN());
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (long long i = 0; i < len; ++i) {
        v[PAD + i] = kind == TIES ? (T)(long long)(g_rng() % 3) : (T)u(g_rng);
        if (kind == NANS && g_rng() % 11 == 0) v[PAD + i] = std::numeric_limits<T>::quiet_NaN();
    }
    return v;
}

template <typename T> std::vector<T> output(long long len, T sentinel) {
    std::vector<T> v(len + 2 * PAD, sentinel);
    for (long long i = 0; i < len; ++i) v[PAD + i] = std::numeric_limits<T>::quiet_NaN();
    return v;
}

bool same(double got, double want, double tol) {
    if (want != want) return got != got;
    if (std::isinf(want)) return got == want;
    return std::fabs(got - want) <= tol;
}

// Compares out[PAD, PAD + len) with ref within rel·mag (NaN must match NaN) and checks the sentinels.
template <typename T, typename R>
void check(const std::string& what, const Case& c, const std::vector<T>& out, const std::vector<R>& ref,
           const std::vector<double>& mag, T sentinel) {
    ++g_cases;
    const double rel = sizeof(T) == 4 ? 1e-6 : 1e-14;
    int bad = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        double got = (double)out[PAD + i], want = (double)ref[i];
        if (!same(got, want, rel * mag[i])) {
            if (bad++ < 3)
                std::printf("FAIL %s %s: element %zu = %.9g, want %.9g\n", what.c_str(), describe(c).c_str(), i, got, want);
        }
    }
    for (size_t i = 0; i < out.size(); ++i) {
        if (i >= (size_t)PAD && i < PAD + ref.size()) continue;
        if (!(out[i] == sentinel) && bad++ < 3)
            std::printf("FAIL %s %s: wrote storage element %lld outside the output\n", what.c_str(), describe(c).c_str(),
                        (long long)i - PAD);
    }
    if (bad > 0) ++g_failures;
}

template <typename T> struct Entries {
    void (*max_fwd)(const T*, long long, T*, long long, long long*, long long, int, int, int, int, int, int, int, int,
                    int, int, int, int, int, int);
    void (*max_bwd)(const T*, long long, const long long*, long long, T*, long long, int, int, int, int, int, int, int,
                    int, int, int, int, int, int, int);
    void (*avg_fwd)(const T*, long long, T*, long long, int, int, int, int, int, int, int, int, int, int, int, int, int,
                    int, int);
    void (*avg_bwd)(const T*, long long, T*, long long, int, int, int, int, int, int, int, int, int, int, int, int, int,
                    int, int);
};

template <typename T> void run_max(const Case& c, const char* dtype, Entries<T> e, Kind kind) {
    const long long xn = (long long)c.n * c.c * c.h * c.w, yn = (long long)c.n * c.c * c.oh * c.ow;
    const T sentinel = (T)12345.0;
    std::vector<T> x = operand<T>(xn, kind), y = output<T>(yn, sentinel);
    std::vector<long long> idx(yn + 2 * PAD, -7);
    for (long long i = 0; i < yn; ++i) idx[PAD + i] = -99;
    emu_launch_sequential(dim3(c.fwd_grid), dim3(c.fwd_block), e.max_fwd, (const T*)x.data(), PAD, y.data(), PAD,
                          idx.data(), PAD, SHAPE_ARGS(c));

    // The sequential rule: the first real element, then any strictly greater one or any NaN.
    std::vector<double> ref(yn), zero(yn, 0.0);
    std::vector<long long> ref_idx(yn);
    for (long long pl = 0; pl < (long long)c.n * c.c; ++pl)
        for (int i = 0; i < c.oh; ++i)
            for (int j = 0; j < c.ow; ++j) {
                double best = -INFINITY;
                long long at = -1;
                for (int p = 0; p < c.kh; ++p)
                    for (int q = 0; q < c.kw; ++q) {
                        int ih = i * c.sh - c.ph + p * c.dh, iw = j * c.sw - c.pw + q * c.dw;
                        if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
                        double v = (double)x[PAD + pl * c.h * c.w + ih * c.w + iw];
                        if (at < 0 || v > best || v != v) {
                            best = v;
                            at = ih * c.w + iw;
                        }
                    }
                ref[pl * c.oh * c.ow + i * c.ow + j] = best;
                ref_idx[pl * c.oh * c.ow + i * c.ow + j] = at;
            }
    std::string what = std::string("max_pool2d_fwd_") + dtype + " " + kind_name(kind);
    check(what, c, y, ref, zero, sentinel);
    check(what + " indices", c, idx, ref_idx, zero, -7LL);

    // Backward from the kernel's indices: gx[plane].flat[idx] += gy, summed in F64.
    std::vector<T> gy = operand<T>(yn, REAL), gx = output<T>(xn, sentinel);
    emu_launch_sequential(dim3(c.bwd_grid), dim3(c.bwd_block), e.max_bwd, (const T*)gy.data(), PAD,
                          (const long long*)idx.data(), PAD, gx.data(), PAD, SHAPE_ARGS(c));
    std::vector<double> gref(xn, 0.0), gmag(xn, 0.0);
    for (long long pl = 0; pl < (long long)c.n * c.c; ++pl)
        for (long long o = 0; o < (long long)c.oh * c.ow; ++o) {
            long long at = idx[PAD + pl * c.oh * c.ow + o];
            if (at < 0) continue;
            double d = (double)gy[PAD + pl * c.oh * c.ow + o];
            gref[pl * c.h * c.w + at] += d;
            gmag[pl * c.h * c.w + at] += std::fabs(d);
        }
    check(std::string("max_pool2d_bwd_") + dtype + " " + kind_name(kind), c, gx, gref, gmag, sentinel);
}

// The window of output (i, j) by enumeration: its real elements, and its divisor (KH·KW positions
// that lie inside the padded input when count_include_pad, else the real ones).
template <typename F> int window(const Case& c, int i, int j, bool include_pad, F each_real) {
    int padded = 0, real = 0;
    for (int p = 0; p < c.kh; ++p)
        for (int q = 0; q < c.kw; ++q) {
            int ih = i * c.sh - c.ph + p, iw = j * c.sw - c.pw + q;
            if (ih < -c.ph || ih >= c.h + c.ph || iw < -c.pw || iw >= c.w + c.pw) continue;
            ++padded;
            if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
            ++real;
            each_real(ih * c.w + iw);
        }
    return include_pad ? padded : real;
}

template <typename T> void run_avg(const Case& c, const char* dtype, Entries<T> e, int include_pad) {
    const long long xn = (long long)c.n * c.c * c.h * c.w, yn = (long long)c.n * c.c * c.oh * c.ow;
    const T sentinel = (T)12345.0;
    std::vector<T> x = operand<T>(xn, REAL), y = output<T>(yn, sentinel);
    std::vector<T> gy = operand<T>(yn, REAL), gx = output<T>(xn, sentinel);
    emu_launch_sequential(dim3(c.fwd_grid), dim3(c.fwd_block), e.avg_fwd, (const T*)x.data(), PAD, y.data(), PAD,
                          include_pad, SHAPE_ARGS(c));
    emu_launch_sequential(dim3(c.bwd_grid), dim3(c.bwd_block), e.avg_bwd, (const T*)gy.data(), PAD, gx.data(), PAD,
                          include_pad, SHAPE_ARGS(c));
    std::vector<double> ref(yn, 0.0), mag(yn, 0.0), gref(xn, 0.0), gmag(xn, 0.0);
    for (long long pl = 0; pl < (long long)c.n * c.c; ++pl)
        for (int i = 0; i < c.oh; ++i)
            for (int j = 0; j < c.ow; ++j) {
                long long o = pl * c.oh * c.ow + i * c.ow + j;
                std::vector<int> members;
                int div = window(c, i, j, include_pad, [&](int at) { members.push_back(at); });
                for (int at : members) {
                    double v = (double)x[PAD + pl * c.h * c.w + at];
                    ref[o] += v / div;
                    mag[o] += std::fabs(v) / div;
                    double d = (double)gy[PAD + o] / div;
                    gref[pl * c.h * c.w + at] += d;
                    gmag[pl * c.h * c.w + at] += std::fabs(d);
                }
            }
    std::string pad = include_pad ? " count_include_pad" : " exclude_pad";
    check(std::string("avg_pool2d_fwd_") + dtype + pad, c, y, ref, mag, sentinel);
    check(std::string("avg_pool2d_bwd_") + dtype + pad, c, gx, gref, gmag, sentinel);
}

template <typename T> void run_case(const Case& c, const char* dtype, Entries<T> e) {
    for (Kind k : {REAL, TIES, NANS}) run_max<T>(c, dtype, e, k);
    if (c.dh == 1 && c.dw == 1) {
        run_avg<T>(c, dtype, e, 1);
        run_avg<T>(c, dtype, e, 0);
    }
}

bool parse(const char* arg, Case& c) {
    int consumed = 0;
    int got = std::sscanf(arg, "%d:%d:%d:%d:%d:%d:%d:%d:%d:%d:%d:%d/%u:%u/%u:%u%n", &c.n, &c.c, &c.h, &c.w, &c.kh, &c.kw,
                          &c.sh, &c.sw, &c.ph, &c.pw, &c.dh, &c.dw, &c.fwd_grid, &c.fwd_block, &c.bwd_grid,
                          &c.bwd_block, &consumed);
    // An optional "/ceil": PyTorch's ceil_mode, the output size rounded up unless the last window would start in the right padding.
    bool ceil_mode = std::strcmp(arg + consumed, "/ceil") == 0;
    if (got != 16 || (arg[consumed] != '\0' && !ceil_mode)) return false;
    if (c.n < 1 || c.c < 1 || c.h < 1 || c.w < 1 || c.kh < 1 || c.kw < 1 || c.sh < 1 || c.sw < 1 || c.ph < 0 ||
        c.pw < 0 || c.ph > c.kh / 2 || c.pw > c.kw / 2 || c.dh < 1 || c.dw < 1 || c.fwd_grid < 1 || c.bwd_grid < 1)
        return false;
    auto out = [&](int in, int k, int s, int p, int d) {
        int span = in + 2 * p - d * (k - 1) - 1;
        if (!ceil_mode) return span / s + 1;
        int o = (span + s - 1) / s + 1;
        return (o - 1) * s >= in + p ? o - 1 : o;
    };
    c.oh = out(c.h, c.kh, c.sh, c.ph, c.dh);
    c.ow = out(c.w, c.kw, c.sw, c.pw, c.dw);
    return c.oh >= 1 && c.ow >= 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<Case> cases;
    for (int i = 1; i < argc; ++i) {
        Case c{};
        if (!parse(argv[i], c)) {
            std::fprintf(stderr,
                         "pool_test: bad argument '%s'; expected N:C:H:W:KH:KW:sH:sW:pH:pW:dH:dW/GRID:BLOCK/GRID:BLOCK "
                         "(all >= 1, pad in [0, kernel/2], output >= 1x1)\n",
                         argv[i]);
            return 2;
        }
        cases.push_back(c);
    }
    if (cases.empty()) {
        std::fprintf(stderr, "usage: pool_test SHAPE/FWD/BWD...\n");
        return 2;
    }
    for (const Case& c : cases) {
        run_case<float>(c, "f32", {max_pool2d_fwd_f32, max_pool2d_bwd_f32, avg_pool2d_fwd_f32, avg_pool2d_bwd_f32});
        run_case<double>(c, "f64", {max_pool2d_fwd_f64, max_pool2d_bwd_f64, avg_pool2d_fwd_f64, avg_pool2d_bwd_f64});
    }
    std::printf("pool_test: %d cases over %zu shapes (sequential), %d failed\n", g_cases, cases.size(), g_failures);
    return g_failures == 0 ? 0 : 1;
}
