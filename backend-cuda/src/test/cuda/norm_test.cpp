// Runs norm.cu's kernels on the CPU (threaded emulator: block reductions) against F64 references
// written here; exits 1 if any case failed.
//
//   norm_test ln:ROWS:N:GRID:BLOCK:PGRID:PBLOCK ...   layer norm over (ROWS, N); PGRID/PBLOCK for
//                                                     layer_norm_param_grads
//             bn:N:C:S:P:GRID:BLOCK ...               batch norm over (N, C, S); P = 1: one block per
//                                                     channel, P > 1: the split kernels, P parts per channel
//
// The geometry is what dev.fathom.cuda.FusedLaunchPlan computes. Every case runs F32 and F64 in
// three affine modes: weight and bias with both parameter gradients; neither, with only gradWeight
// wanted; weight only, with only gradBias wanted (absent operands are null pointers, and an absent
// output must not be written). Inputs are uniform around 3 (so the mean matters), operands sit at
// different offsets between sentinels. Backward inputs take mean and rstd from the reference
// rounded to T, as the forward would hand them over.
#include "cuda_emu.h"
#include "norm.cu"
#include "fused_check.h"

#include <algorithm>
#include <limits>
#include <string>

using fused::expect;
using fused::Guarded;

namespace {

template <typename T> struct Entries;
template <> struct Entries<float> {
    static constexpr const char* name = "f32";
    static constexpr auto ln = layer_norm_f32, ln_bwd = layer_norm_backward_f32, ln_par = layer_norm_param_grads_f32;
    static constexpr auto bn = batch_norm_f32, bn_bwd = batch_norm_backward_f32;
    static constexpr auto bn_part = batch_norm_partials_f32, bn_apply = batch_norm_apply_f32;
    static constexpr auto bn_bwd_part = batch_norm_backward_partials_f32, bn_bwd_apply = batch_norm_backward_apply_f32;
};
template <> struct Entries<double> {
    static constexpr const char* name = "f64";
    static constexpr auto ln = layer_norm_f64, ln_bwd = layer_norm_backward_f64, ln_par = layer_norm_param_grads_f64;
    static constexpr auto bn = batch_norm_f64, bn_bwd = batch_norm_backward_f64;
    static constexpr auto bn_part = batch_norm_partials_f64, bn_apply = batch_norm_apply_f64;
    static constexpr auto bn_bwd_part = batch_norm_backward_partials_f64, bn_bwd_apply = batch_norm_backward_apply_f64;
};

// One normalization problem in the (N, G, S) view of norm.cu, with its launch geometry.
struct Case {
    bool layer;  // layer norm (N = 1, G = rows, S = n) or batch norm
    long long N, G, S;
    unsigned grid, block, pgrid, pblock;
    long long parts;  // batch norm: 1 for one block per channel, else the split kernels with P = parts
};

long long idx(const Case& c, long long g, long long k) { return (k / c.S) * c.G * c.S + g * c.S + k % c.S; }

template <typename T> T* ptr_or_null(Guarded<T>& v, bool present) { return present ? v.base() : nullptr; }

template <typename T> void run(const Case& c, int mode, std::mt19937_64& rng) {
    ++fused::g_cases;
    const long long M = c.N * c.S, numel = c.N * c.G * c.S, P = c.layer ? c.S : c.G;  // P: weight length
    const bool has_w = mode != 1, has_b = mode == 0, want_gw = mode != 2, want_gb = mode != 1;
    char where[220];
    std::snprintf(where, sizeof where, "%s_%s N=%lld G=%lld S=%lld P=%lld grid=%u block=%u pgrid=%u pblock=%u mode=%d",
                  c.layer ? "layer_norm" : "batch_norm", Entries<T>::name, c.N, c.G, c.S, c.parts, c.grid, c.block,
                  c.pgrid, c.pblock, mode);
    // The split kernels' workspace, poisoned so that a part the partials kernel skips shows up.
    std::vector<double> ws(2 * c.G * c.parts, std::numeric_limits<double>::quiet_NaN());
    std::uniform_real_distribution<double> u(-1, 1);
    const double eps = 1e-5;
    const double rtol = sizeof(T) == 4 ? 1e-6 : 1e-14;
    Guarded<T> x(numel, 2), w(P, 1), b(P, 3), out(numel, 4), mean(c.G, 1), rstd(c.G, 2);
    for (long long i = 0; i < numel; ++i) x[i] = (T)(3 + u(rng));
    for (long long i = 0; i < P; ++i) {
        w[i] = (T)(1 + 0.5 * u(rng));
        b[i] = (T)u(rng);
    }
    const T* wp = has_w ? w.base() : nullptr;
    const T* bp = has_b ? b.base() : nullptr;
    if (c.layer) {
        emu_launch(dim3(c.grid), dim3(c.block), Entries<T>::ln, (const T*)x.base(), x.offset, wp, w.offset, bp, b.offset,
                   out.base(), out.offset, mean.base(), mean.offset, rstd.base(), rstd.offset, c.G, c.S, eps);
    } else if (c.parts == 1) {
        emu_launch(dim3(c.grid), dim3(c.block), Entries<T>::bn, (const T*)x.base(), x.offset, wp, w.offset, bp, b.offset,
                   out.base(), out.offset, mean.base(), mean.offset, rstd.base(), rstd.offset, c.N, c.G, c.S, eps);
    } else {
        emu_launch(dim3(c.grid), dim3(c.block), Entries<T>::bn_part, (const T*)x.base(), x.offset, ws.data(), c.N, c.G,
                   c.S, c.parts);
        emu_launch(dim3(c.grid), dim3(c.block), Entries<T>::bn_apply, (const T*)x.base(), x.offset, wp, w.offset, bp,
                   b.offset, out.base(), out.offset, mean.base(), mean.offset, rstd.base(), rstd.offset,
                   (const double*)ws.data(), c.N, c.G, c.S, c.parts, eps);
    }
    auto weight = [&](long long g, long long k) { return has_w ? (double)w[c.layer ? k % c.S : g] : 1.0; };
    auto bias = [&](long long g, long long k) { return has_b ? (double)b[c.layer ? k % c.S : g] : 0.0; };
    std::vector<double> ref_mean(c.G), ref_rstd(c.G);
    int bad = 0;
    for (long long g = 0; g < c.G; ++g) {
        double s = 0, q = 0, mag = 0;
        for (long long k = 0; k < M; ++k) s += x[idx(c, g, k)];
        double mu = s / M;
        for (long long k = 0; k < M; ++k) {
            double d = x[idx(c, g, k)] - mu;
            q += d * d;
            mag = std::max(mag, std::fabs((double)x[idx(c, g, k)]));
        }
        double r = 1 / std::sqrt(q / M + eps);
        ref_mean[g] = mu;
        ref_rstd[g] = r;
        if (!expect(std::string(where) + " mean", g, (double)mean[g], mu, 4 * rtol * mag)) ++bad;
        if (!expect(std::string(where) + " rstd", g, (double)rstd[g], r, 8 * rtol * r)) ++bad;
        for (long long k = 0; k < M && bad < 3; ++k) {
            long long i = idx(c, g, k);
            double xhat = (x[i] - mu) * r, want = xhat * weight(g, k) + bias(g, k);
            double tol = 8 * rtol * ((std::fabs((double)x[i]) + std::fabs(mu)) * r * std::fabs(weight(g, k)) +
                                     std::fabs(bias(g, k)));
            if (!expect(std::string(where) + " out", i, (double)out[i], want, tol)) ++bad;
        }
    }
    if (!out.guards_intact() || !mean.guards_intact() || !rstd.guards_intact())
        fused::fail(std::string(where) + " forward wrote outside its outputs");

    // Backward.
    ++fused::g_cases;
    Guarded<T> go(numel, 1), gx(numel, 3), gw(P, 2), gb(P, 1), m_in(c.G, 3), r_in(c.G, 1);
    for (long long i = 0; i < numel; ++i) go[i] = (T)u(rng);
    // Mode 2: one infinite gradient, whose sums (gradBias, and gradX of its group) must be infinite, not NaN.
    if (mode == 2 && numel > 0) go[0] = std::numeric_limits<T>::infinity();
    for (long long g = 0; g < c.G; ++g) {
        m_in[g] = (T)ref_mean[g];
        r_in[g] = (T)ref_rstd[g];
    }
    T* gwp = ptr_or_null(gw, want_gw);
    T* gbp = ptr_or_null(gb, want_gb);
    if (c.layer) {
        emu_launch(dim3(c.grid), dim3(c.block), Entries<T>::ln_bwd, (const T*)go.base(), go.offset, (const T*)x.base(),
                   x.offset, (const T*)m_in.base(), m_in.offset, (const T*)r_in.base(), r_in.offset, wp, w.offset,
                   gx.base(), gx.offset, c.G, c.S);
        emu_launch(dim3(c.pgrid), dim3(c.pblock), Entries<T>::ln_par, (const T*)go.base(), go.offset,
                   (const T*)x.base(), x.offset, (const T*)m_in.base(), m_in.offset, (const T*)r_in.base(), r_in.offset,
                   gwp, gw.offset, gbp, gb.offset, c.G, c.S);
    } else if (c.parts == 1) {
        emu_launch(dim3(c.grid), dim3(c.block), Entries<T>::bn_bwd, (const T*)go.base(), go.offset, (const T*)x.base(),
                   x.offset, (const T*)m_in.base(), m_in.offset, (const T*)r_in.base(), r_in.offset, wp, w.offset,
                   gx.base(), gx.offset, gwp, gw.offset, gbp, gb.offset, c.N, c.G, c.S);
    } else {
        std::fill(ws.begin(), ws.end(), std::numeric_limits<double>::quiet_NaN());
        emu_launch(dim3(c.grid), dim3(c.block), Entries<T>::bn_bwd_part, (const T*)go.base(), go.offset,
                   (const T*)x.base(), x.offset, (const T*)m_in.base(), m_in.offset, (const T*)r_in.base(), r_in.offset,
                   ws.data(), c.N, c.G, c.S, c.parts);
        emu_launch(dim3(c.grid), dim3(c.block), Entries<T>::bn_bwd_apply, (const T*)go.base(), go.offset,
                   (const T*)x.base(), x.offset, (const T*)m_in.base(), m_in.offset, (const T*)r_in.base(), r_in.offset,
                   wp, w.offset, gx.base(), gx.offset, gwp, gw.offset, gbp, gb.offset, (const double*)ws.data(), c.N,
                   c.G, c.S, c.parts);
    }
    std::vector<double> sum_gw(P, 0), sum_gb(P, 0), mag_gw(P, 0), mag_gb(P, 0);
    bad = 0;
    for (long long g = 0; g < c.G; ++g) {
        double mu = m_in[g], r = r_in[g];
        double sg = 0, sgx = 0, ag = 0, agx = 0;
        for (long long k = 0; k < M; ++k) {
            long long i = idx(c, g, k);
            double xhat = (x[i] - mu) * r, gk = go[i] * weight(g, k);
            sg += gk;
            sgx += gk * xhat;
            ag += std::fabs(gk);
            agx += std::fabs(gk * xhat);
            long long p = c.layer ? k % c.S : g;
            sum_gw[p] += go[i] * xhat;
            sum_gb[p] += go[i];
            mag_gw[p] += std::fabs(go[i] * xhat) * (1 + (std::fabs((double)x[i]) + std::fabs(mu)) * r);
            mag_gb[p] += std::fabs((double)go[i]);
        }
        for (long long k = 0; k < M && bad < 3; ++k) {
            long long i = idx(c, g, k);
            double xhat = (x[i] - mu) * r, gk = go[i] * weight(g, k);
            double want = r * (gk - sg / M - xhat * sgx / M);
            double xerr = (std::fabs((double)x[i]) + std::fabs(mu)) * r;  // rounding of x - mean, scaled
            double tol = 8 * rtol * r * (std::fabs(gk) + ag / M + (std::fabs(xhat) + xerr) * agx / M);
            if (!expect(std::string(where) + " gradX", i, (double)gx[i], want, tol)) ++bad;
        }
    }
    for (long long p = 0; p < P && bad < 6; ++p) {
        if (want_gw && !expect(std::string(where) + " gradWeight", p, (double)gw[p], sum_gw[p], 8 * rtol * mag_gw[p])) ++bad;
        if (want_gb && !expect(std::string(where) + " gradBias", p, (double)gb[p], sum_gb[p], 8 * rtol * mag_gb[p])) ++bad;
    }
    if (!gx.guards_intact() || !gw.guards_intact() || !gb.guards_intact())
        fused::fail(std::string(where) + " backward wrote outside its outputs");
    if (!want_gw && gw[0] != T(-777)) fused::fail(std::string(where) + " wrote gradWeight, which was null");
    if (!want_gb && gb[0] != T(-777)) fused::fail(std::string(where) + " wrote gradBias, which was null");
}

}  // namespace

int main(int argc, char** argv) {
    std::mt19937_64 rng(11);
    for (int a = 1; a < argc; ++a) {
        std::string s = argv[a];
        size_t colon = s.find(':');
        std::string kind = s.substr(0, colon);
        std::vector<long long> v = fused::split_ints(s.substr(colon + 1));
        Case c{};
        if (kind == "ln" && v.size() == 6) {
            c = Case{true, 1, v[0], v[1], (unsigned)v[2], (unsigned)v[3], (unsigned)v[4], (unsigned)v[5], 1};
        } else if (kind == "bn" && v.size() == 6 && v[3] >= 1) {
            c = Case{false, v[0], v[1], v[2], (unsigned)v[4], (unsigned)v[5], 0, 0, v[3]};
        } else {
            std::printf("FAIL bad case %s (want ln:ROWS:N:GRID:BLOCK:PGRID:PBLOCK or bn:N:C:S:P:GRID:BLOCK)\n", s.c_str());
            return 2;
        }
        for (int mode = 0; mode < 3; ++mode) {
            run<float>(c, mode, rng);
            run<double>(c, mode, rng);
        }
    }
    return fused::summary("norm_test");
}
