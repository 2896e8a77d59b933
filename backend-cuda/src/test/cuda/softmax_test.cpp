// Runs softmax.cu's kernels on the CPU against F64 references written here; exits 1 if any case failed.
//
//   softmax_test KIND:OUTER:N:INNER:GRID:BLOCK ...
//
// KIND is "block" (one block per row: the threaded emulator, real barriers and shuffles) or "col"
// (one thread per row: the sequential emulator, which aborts on any barrier). GRID and BLOCK are
// what dev.fathom.cuda.FusedLaunchPlan computes for the shape. Each case runs F32 and F64,
// softmax and log-softmax, forward and backward, with operands at different offsets between
// sentinels. Inputs: uniform in [-8, 8], except that row 0 starts with two -inf (an online max
// must not turn them into NaN), row 1 (when there are more than 2 rows) holds one NaN (its row
// must come out NaN), row 2 (of more than 3) ends with +inf, row 3 (of more than 4) is all -inf
// (Kernels.softmax's shift by 0 for an infinite max: NaN for +inf and for the -inf row, 0 beside
// +inf), and the last row is shifted by +1e4 (a naive exp would overflow).
#include "cuda_emu.h"
#include "softmax.cu"
#include "fused_check.h"

#include <limits>
#include <string>

using fused::expect;
using fused::Guarded;

namespace {

struct Case {
    bool block;
    long long outer, n, inner;
    unsigned grid, threads;
};

template <typename T> struct Entries;
template <> struct Entries<float> {
    static constexpr const char* name = "f32";
    static constexpr auto fwd_block = softmax_block_f32, fwd_col = softmax_col_f32;
    static constexpr auto bwd_block = softmax_backward_block_f32, bwd_col = softmax_backward_col_f32;
};
template <> struct Entries<double> {
    static constexpr const char* name = "f64";
    static constexpr auto fwd_block = softmax_block_f64, fwd_col = softmax_col_f64;
    static constexpr auto bwd_block = softmax_backward_block_f64, bwd_col = softmax_backward_col_f64;
};

template <typename... P, typename... A> void launch(const Case& c, void (*k)(P...), A... args) {
    if (c.block) {
        emu_launch(dim3(c.grid), dim3(c.threads), k, args...);
    } else {
        emu_launch_sequential(dim3(c.grid), dim3(c.threads), k, args...);
    }
}

// Element j of row r (r = o·inner + i) in the flat (outer, n, inner) layout.
long long at(const Case& c, long long r, long long j) { return (r / c.inner) * c.n * c.inner + r % c.inner + j * c.inner; }

template <typename T> void run(const Case& c, int log, std::mt19937_64& rng) {
    ++fused::g_cases;
    const long long rows = c.outer * c.inner, numel = rows * c.n;
    char where[200];
    std::snprintf(where, sizeof where, "softmax_%s_%s outer=%lld n=%lld inner=%lld grid=%u block=%u log=%d",
                  c.block ? "block" : "col", Entries<T>::name, c.outer, c.n, c.inner, c.grid, c.threads, log);
    std::uniform_real_distribution<double> u(-8, 8);
    Guarded<T> x(numel, 2), out(numel, 5);
    for (long long i = 0; i < numel; ++i) x[i] = (T)u(rng);
    const T inf = std::numeric_limits<T>::infinity();
    for (long long j = 0; j < std::min(2LL, c.n - 1); ++j) x[at(c, 0, j)] = -inf;
    if (rows > 2) x[at(c, 1, c.n / 2)] = std::numeric_limits<T>::quiet_NaN();
    if (rows > 1)
        for (long long j = 0; j < c.n; ++j) x[at(c, rows - 1, j)] += (T)1e4;
    if (rows > 3) x[at(c, 2, c.n - 1)] = inf;
    if (rows > 4)
        for (long long j = 0; j < c.n; ++j) x[at(c, 3, j)] = -inf;

    launch(c, c.block ? Entries<T>::fwd_block : Entries<T>::fwd_col, (const T*)x.base(), x.offset, out.base(),
           out.offset, c.outer, c.n, c.inner, log);

    // Reference in F64 from the same T inputs.
    std::vector<double> ref(numel);
    for (long long r = 0; r < rows; ++r) {
        double m = -std::numeric_limits<double>::infinity();
        bool nan = false;
        for (long long j = 0; j < c.n; ++j) {
            double v = x[at(c, r, j)];
            nan |= fused::is_nan(v);
            m = std::max(m, v);
        }
        // Kernels.softmax: the shift is the row max, or 0 when that max is infinite.
        double shift = std::isinf(m) ? 0 : m;
        double s = 0;
        for (long long j = 0; j < c.n; ++j) s += std::exp((double)x[at(c, r, j)] - shift);
        for (long long j = 0; j < c.n; ++j) {
            double v = (double)x[at(c, r, j)] - shift;
            ref[at(c, r, j)] = nan ? NAN : log ? v - std::log(s) : std::exp(v) / s;
        }
    }
    const double rtol = sizeof(T) == 4 ? 2e-6 : 1e-14;
    int bad = 0;
    for (long long i = 0; i < numel && bad < 3; ++i) {
        // log-softmax: x - max rounds once in T, so the error scales with |x - max|, ~|ref|.
        double tol = rtol * (std::fabs(ref[i]) + 1) * 4;
        if (!expect(std::string(where) + " forward", i, (double)out[i], ref[i], tol)) ++bad;
    }
    if (!out.guards_intact()) fused::fail(std::string(where) + " forward wrote outside out");

    // Backward from the forward OUTPUT y (the reference rounded to T; NaN rows dropped so that
    // every row checks numbers), row 1 with gradY = +inf at its first element.
    ++fused::g_cases;
    Guarded<T> y(numel, 1), gy(numel, 4), gx(numel, 6);
    for (long long i = 0; i < numel; ++i) {
        y[i] = fused::is_nan(ref[i]) ? (T)(log ? -2.0 : 0.1) : (T)ref[i];
        gy[i] = (T)u(rng);
    }
    // An infinite gradient: its row's sum is infinite (not NaN: the compensated sums must let it through).
    if (rows > 2) gy[at(c, 1, 0)] = inf;
    launch(c, c.block ? Entries<T>::bwd_block : Entries<T>::bwd_col, (const T*)y.base(), y.offset,
           (const T*)gy.base(), gy.offset, gx.base(), gx.offset, c.outer, c.n, c.inner, log);
    bad = 0;
    for (long long r = 0; r < rows; ++r) {
        double s = 0, mag = 0;
        for (long long j = 0; j < c.n; ++j) {
            long long k = at(c, r, j);
            double term = log ? (double)gy[k] : (double)gy[k] * (double)y[k];
            s += term;
            mag += std::fabs(term);
        }
        for (long long j = 0; j < c.n && bad < 3; ++j) {
            long long k = at(c, r, j);
            double yk = y[k], g = gy[k];
            double want = log ? g - std::exp(yk) * s : yk * (g - s);
            double scale = log ? std::fabs(g) + std::exp(yk) * mag : std::fabs(yk) * (std::fabs(g) + mag);
            if (!expect(std::string(where) + " backward", k, (double)gx[k], want, rtol * 4 * (scale + 1e-30))) ++bad;
        }
    }
    if (!gx.guards_intact()) fused::fail(std::string(where) + " backward wrote outside gradX");
}

}  // namespace

int main(int argc, char** argv) {
    std::mt19937_64 rng(7);
    for (int a = 1; a < argc; ++a) {
        std::string s = argv[a];
        size_t colon = s.find(':');
        std::vector<long long> v = fused::split_ints(s.substr(colon + 1));
        if (v.size() != 5) {
            std::printf("FAIL bad case %s (want KIND:OUTER:N:INNER:GRID:BLOCK)\n", s.c_str());
            return 2;
        }
        Case c{s.substr(0, colon) == "block", v[0], v[1], v[2], (unsigned)v[3], (unsigned)v[4]};
        for (int log = 0; log <= 1; ++log) {
            run<float>(c, log, rng);
            run<double>(c, log, rng);
        }
    }
    return fused::summary("softmax_test");
}
