// Runs conv.cu's kernels on the CPU (through cuda_emu.h, threaded: the shared-memory tiles and
// __syncthreads are real) against F64 loops written here (the definition in
// dev.fathom.spi.Kernels#conv2dForward, as backend-cpu's ConvDirect spells it); prints one line
// per failing case and exits 1 if any failed.
//
//   conv_test SHAPE/FWD/DATA/WEIGHT/REDUCE/BLOCK...
//
// SHAPE = N:C_in:H:W:C_out:KH:KW:sH:sW:pH:pW:dH:dW:G, then the launch geometry that
// dev.fathom.cuda.ConvGeometry computes (ConvKernelEmulationTest passes it): FWD = GX:GY:GZ of
// the forward, DATA = GX:GY:GZ of backward-data, WEIGHT = GX:GY:GZ:SPLITS:CHUNK of
// backward-weight, REDUCE = GRID:BLOCK of its reduction pass (0:0 when SPLITS = 1), BLOCK the
// threads of the GEMM kernels. Every shape runs F32 and F64, all three passes. Inputs sit at an
// offset with NaN on both sides, so a gather that strays outside its operand fails; outputs
// start as NaN (which must never be read) between sentinels that must survive.
#include "cuda_emu.h"
#include "conv.cu"

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

int g_failures = 0;
int g_cases = 0;
std::mt19937_64 g_rng(20261125);

struct Case {
    int n, c_in, h, w, c_out, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow;
    unsigned fwd[3], data[3], weight[3];
    int splits;
    long long chunk;
    unsigned reduce_grid, reduce_block, block;
};

std::string describe(const Case& c) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "N%d Cin%d %dx%d Cout%d k%dx%d s%d,%d p%d,%d d%d,%d G%d -> %dx%d", c.n, c.c_in, c.h,
                  c.w, c.c_out, c.kh, c.kw, c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, c.groups, c.oh, c.ow);
    return buf;
}

const long long PAD = 37;  // NaN or sentinel elements on each side of an operand

// An operand of `len` elements at offset PAD, with `fill` on both sides.
template <typename T> std::vector<T> operand(long long len, T fill, bool random) {
    std::vector<T> v(len + 2 * PAD, fill);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (long long i = 0; i < len; ++i) v[PAD + i] = random ? (T)u(g_rng) : std::numeric_limits<T>::quiet_NaN();
    return v;
}

// Checks out[PAD, PAD + len) against ref (within rel·mag) and the sentinels around it.
template <typename T>
void check(const char* pass, const char* dtype, const Case& c, const std::vector<T>& out, const std::vector<double>& ref,
           const std::vector<double>& mag, T sentinel) {
    ++g_cases;
    const double rel = sizeof(T) == 4 ? 1e-5 : 1e-12;
    long long len = (long long)ref.size();
    int bad = 0;
    for (long long i = 0; i < len; ++i) {
        double got = (double)out[PAD + i];
        if (!(std::fabs(got - ref[i]) <= rel * mag[i] + 1e-30)) {
            if (bad++ < 3)
                std::printf("FAIL %s_%s %s: element %lld = %.9g, want %.9g\n", pass, dtype, describe(c).c_str(), i, got,
                            ref[i]);
        }
    }
    for (long long i = 0; i < (long long)out.size(); ++i) {
        if (i >= PAD && i < PAD + len) continue;
        if (out[i] != sentinel && bad++ < 3)
            std::printf("FAIL %s_%s %s: wrote storage element %lld outside the output\n", pass, dtype,
                        describe(c).c_str(), i - PAD);
    }
    if (bad > 0) ++g_failures;
}

// Visits every (output element, input element, weight element) triple of the convolution.
template <typename F> void for_each_tap(const Case& c, F f) {
    int cin_g = c.c_in / c.groups, cout_g = c.c_out / c.groups;
    for (int n = 0; n < c.n; ++n)
        for (int o = 0; o < c.c_out; ++o) {
            int xc0 = n * c.c_in + o / cout_g * cin_g;
            for (int i = 0; i < c.oh; ++i)
                for (int j = 0; j < c.ow; ++j) {
                    long long yi = (((long long)n * c.c_out + o) * c.oh + i) * c.ow + j;
                    for (int ch = 0; ch < cin_g; ++ch)
                        for (int p = 0; p < c.kh; ++p) {
                            int ih = i * c.sh - c.ph + p * c.dh;
                            if (ih < 0 || ih >= c.h) continue;
                            for (int q = 0; q < c.kw; ++q) {
                                int iw = j * c.sw - c.pw + q * c.dw;
                                if (iw < 0 || iw >= c.w) continue;
                                long long xi = ((long long)(xc0 + ch) * c.h + ih) * c.w + iw;
                                long long wi = (((long long)o * cin_g + ch) * c.kh + p) * c.kw + q;
                                f(yi, xi, wi);
                            }
                        }
                }
        }
}

template <typename T> struct Entries {
    void (*fwd)(const T*, long long, const T*, long long, T*, long long, int, int, int, int, int, int, int, int, int,
                int, int, int, int, int, int, int);
    void (*data)(const T*, long long, const T*, long long, T*, long long, int, int, int, int, int, int, int, int, int,
                 int, int, int, int, int, int, int);
    void (*weight)(const T*, long long, const T*, long long, T*, long long, long long, int, int, int, int, int, int,
                   int, int, int, int, int, int, int, int, int, int);
    void (*reduce)(const T*, long long, int, T*, long long);
};

#define SHAPE_ARGS(c)                                                                                     \
    c.n, c.c_in, c.h, c.w, c.c_out, c.kh, c.kw, c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, c.groups, c.oh, c.ow

// A launch with a zero grid dimension is skipped (the host never issues it: CUDA rejects it).
bool empty(const unsigned* g) { return g[0] == 0 || g[1] == 0 || g[2] == 0; }

template <typename T> void run_case(const Case& c, const char* dtype, Entries<T> e) {
    const long long xn = (long long)c.n * c.c_in * c.h * c.w;
    const long long wn = (long long)c.c_out * (c.c_in / c.groups) * c.kh * c.kw;
    const long long yn = (long long)c.n * c.c_out * c.oh * c.ow;
    const T nan = std::numeric_limits<T>::quiet_NaN(), sentinel = (T)12345.0;
    std::vector<T> x = operand<T>(xn, nan, true), w = operand<T>(wn, nan, true), gy = operand<T>(yn, nan, true);

    // forward
    {
        std::vector<T> y = operand<T>(yn, sentinel, false);
        if (!empty(c.fwd)) emu_launch(dim3(c.fwd[0], c.fwd[1], c.fwd[2]), dim3(c.block), e.fwd, (const T*)x.data(), PAD,
                   (const T*)w.data(), PAD, y.data(), PAD, SHAPE_ARGS(c));
        std::vector<double> ref(yn, 0.0), mag(yn, 0.0);
        for_each_tap(c, [&](long long yi, long long xi, long long wi) {
            double t = (double)x[PAD + xi] * (double)w[PAD + wi];
            ref[yi] += t;
            mag[yi] += std::fabs(t);
        });
        check("conv2d_fwd", dtype, c, y, ref, mag, sentinel);
    }
    // backward-data
    {
        std::vector<T> gx = operand<T>(xn, sentinel, false);
        if (!empty(c.data)) emu_launch(dim3(c.data[0], c.data[1], c.data[2]), dim3(c.block), e.data, (const T*)gy.data(), PAD,
                   (const T*)w.data(), PAD, gx.data(), PAD, SHAPE_ARGS(c));
        std::vector<double> ref(xn, 0.0), mag(xn, 0.0);
        for_each_tap(c, [&](long long yi, long long xi, long long wi) {
            double t = (double)gy[PAD + yi] * (double)w[PAD + wi];
            ref[xi] += t;
            mag[xi] += std::fabs(t);
        });
        check("conv2d_bwd_data", dtype, c, gx, ref, mag, sentinel);
    }
    // backward-weight: straight into gw, or through S partial planes and the reduction.
    {
        std::vector<T> gw = operand<T>(wn, sentinel, false);
        if (c.splits == 1) {
            emu_launch(dim3(c.weight[0], c.weight[1], c.weight[2]), dim3(c.block), e.weight, (const T*)x.data(), PAD,
                       (const T*)gy.data(), PAD, gw.data(), PAD, c.chunk, SHAPE_ARGS(c));
        } else {
            std::vector<T> partial((size_t)(c.splits * wn), nan);
            emu_launch(dim3(c.weight[0], c.weight[1], c.weight[2]), dim3(c.block), e.weight, (const T*)x.data(), PAD,
                       (const T*)gy.data(), PAD, partial.data(), 0LL, c.chunk, SHAPE_ARGS(c));
            emu_launch_sequential(dim3(c.reduce_grid), dim3(c.reduce_block), e.reduce, (const T*)partial.data(), wn,
                                  c.splits, gw.data(), PAD);
        }
        std::vector<double> ref(wn, 0.0), mag(wn, 0.0);
        for_each_tap(c, [&](long long yi, long long xi, long long wi) {
            double t = (double)gy[PAD + yi] * (double)x[PAD + xi];
            ref[wi] += t;
            mag[wi] += std::fabs(t);
        });
        check("conv2d_bwd_weight", dtype, c, gw, ref, mag, sentinel);
    }
}

bool parse(const char* arg, Case& c) {
    int consumed = 0;
    int got = std::sscanf(arg, "%d:%d:%d:%d:%d:%d:%d:%d:%d:%d:%d:%d:%d:%d/%u:%u:%u/%u:%u:%u/%u:%u:%u:%d:%lld/%u:%u/%u%n",
                          &c.n, &c.c_in, &c.h, &c.w, &c.c_out, &c.kh, &c.kw, &c.sh, &c.sw, &c.ph, &c.pw, &c.dh, &c.dw,
                          &c.groups, &c.fwd[0], &c.fwd[1], &c.fwd[2], &c.data[0], &c.data[1], &c.data[2],
                          &c.weight[0], &c.weight[1], &c.weight[2], &c.splits, &c.chunk, &c.reduce_grid,
                          &c.reduce_block, &c.block, &consumed);
    if (got != 28 || arg[consumed] != '\0') return false;
    if (c.n < 0 || c.c_in < 1 || c.h < 1 || c.w < 1 || c.c_out < 1 || c.kh < 1 || c.kw < 1 || c.sh < 1 || c.sw < 1 ||
        c.ph < 0 || c.pw < 0 || c.dh < 1 || c.dw < 1 || c.groups < 1 || c.c_in % c.groups || c.c_out % c.groups ||
        c.splits < 1 || c.chunk < 1)
        return false;
    c.oh = (c.h + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh + 1;
    c.ow = (c.w + 2 * c.pw - c.dw * (c.kw - 1) - 1) / c.sw + 1;
    return c.oh >= 1 && c.ow >= 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<Case> cases;
    for (int i = 1; i < argc; ++i) {
        Case c{};
        if (!parse(argv[i], c)) {
            std::fprintf(stderr,
                         "conv_test: bad argument '%s'; expected "
                         "N:Cin:H:W:Cout:KH:KW:sH:sW:pH:pW:dH:dW:G/GX:GY:GZ/GX:GY:GZ/GX:GY:GZ:SPLITS:CHUNK/GRID:BLOCK/BLOCK\n",
                         argv[i]);
            return 2;
        }
        cases.push_back(c);
    }
    if (cases.empty()) {
        std::fprintf(stderr, "usage: conv_test SHAPE/FWD/DATA/WEIGHT/REDUCE/BLOCK...\n");
        return 2;
    }
    for (const Case& c : cases) {
        run_case<float>(c, "f32",
                        {conv2d_fwd_f32, conv2d_bwd_data_f32, conv2d_bwd_weight_f32, conv2d_bwd_weight_reduce_f32});
        run_case<double>(c, "f64",
                         {conv2d_fwd_f64, conv2d_bwd_data_f64, conv2d_bwd_weight_f64, conv2d_bwd_weight_reduce_f64});
    }
    std::printf("conv_test: %d cases over %zu shapes (threads), %d failed\n", g_cases, cases.size(), g_failures);
    return g_failures == 0 ? 0 : 1;
}
