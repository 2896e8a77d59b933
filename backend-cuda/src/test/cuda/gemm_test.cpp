// Runs gemm.cu's kernels on the CPU (through cuda_emu.h, threaded: shared memory and
// __syncthreads are real) against an F64 triple loop written here; prints one line per failing
// case and exits 1 if any failed.
//
//   gemm_test BO:BI:M:N:K:TILE:GX:GY:GZ:BLOCK...
//
// Each argument is BO·BI products C (M×N) = A (M×K) · B (K×N), batch split outer BO × inner BI,
// launched with grid (GX, GY, GZ) × BLOCK threads (GemmKernelEmulationTest passes what
// dev.fathom.cuda.GemmGeometry computes for the tile). TILE 64 runs the 64×64 kernels gemm_f32,
// gemm_f64 and gemm_i64; TILE 128 runs each of the four F32 entries gemm_f32_128_{nn,nt,tn,tt} on
// every operand layout (each entry must be right for any strides; the layout only decides which
// one the host picks). For every argument it runs all
// four transpose combinations (an operand is either row-major with a padded leading dimension or
// column-major, i.e. a transposed view), and for batches: B batched, B broadcast over the whole
// batch (stride 0), and, when BI > 1, B broadcast over the outer level only. accumulate alternates
// between cases so that each layout runs with both. Storage an operand does not use (leading
// dimension gaps, slack past the last element) holds NaN, so a kernel that reads past M, N or K
// into the result fails; C's storage outside the output holds a sentinel that must survive, and
// with accumulate = 0 C starts as NaN, which must never be read. I64 runs the same cases on integers
// in [-20, 20], exactly, with 2^40 instead of NaN marking storage that must not be read.
//
//   gemm_test splitk PARTS:MN:GRID:BLOCK...
//
// runs gemm_splitk_sum_f32 and _f64 (split K's last step: c[c_offset + i] (+)= the PARTS slices of
// MN elements, in slice order) on that grid, with and without accumulate, against the same adds in
// the same order written here (so bit for bit), and checks that C's storage outside the output and
// the slices are untouched.
#include "cuda_emu.h"
#include "gemm.cu"

#include <cmath>
#include <cstring>
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
    int bo, bi, m, n, k, tile;
    unsigned gx, gy, gz, block;
};

// A logical rows × cols matrix, per batch slab: row-major with ld = cols + 3, or (trans) the
// transpose of a row-major cols × rows matrix with ld = rows + 2, so element (r, c) is at
// r·rs + c·cs.
struct Layout {
    long long rs, cs, slab;
};
Layout layout(int rows, int cols, bool trans) {
    if (!trans) return {cols + 3LL, 1, rows * (cols + 3LL)};
    return {1, rows + 2LL, cols * (rows + 2LL)};
}

// Storage for `batches` slabs at `offset`, with slack for a kernel that reads up to a whole tile
// past the edge (so a broken guard reads NaN instead of faulting). Every logical element gets a
// random value in [-1, 1]; everything else is NaN.
// What unused storage holds: NaN for floats; for I64 a value whose product with any operand
// element is far outside every exact result.
template <typename T> T unused() { return std::numeric_limits<T>::quiet_NaN(); }
template <> long long unused<long long>() { return 1LL << 40; }
// A random logical element: uniform in [-1, 1], or an integer in [-20, 20] for I64.
template <typename T> T random_value(std::uniform_real_distribution<double>& u) { return (T)u(g_rng); }
template <> long long random_value<long long>(std::uniform_real_distribution<double>& u) {
    return (long long)std::llround(20 * u(g_rng));
}

template <typename T> struct Operand {
    std::vector<T> data;
    long long offset, bs_outer, bs_inner;
    Layout l;
    int rows, cols;
    T at(long long zo, long long zi, int r, int c) const {
        return data[offset + zo * bs_outer + zi * bs_inner + r * l.rs + c * l.cs];
    }
};

template <typename T>
Operand<T> make_operand(int rows, int cols, bool trans, int slabs_outer, int slabs_inner, bool bcast_outer,
                        bool bcast_inner, long long offset) {
    Operand<T> o;
    o.l = layout(rows, cols, trans);
    o.rows = rows;
    o.cols = cols;
    o.offset = offset;
    o.bs_inner = bcast_inner ? 0 : o.l.slab;
    o.bs_outer = bcast_outer ? 0 : o.l.slab * (bcast_inner ? 1 : slabs_inner);
    long long slabs = (long long)(bcast_outer ? 1 : slabs_outer) * (bcast_inner ? 1 : slabs_inner);
    long long padded_rows = (rows + 127) / 128 * 128 + 128, padded_cols = (cols + 127) / 128 * 128 + 128;
    long long slack = padded_rows * o.l.rs + padded_cols * o.l.cs;
    o.data.assign(offset + slabs * o.l.slab + slack, unused<T>());
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (long long s = 0; s < slabs; ++s)
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c) o.data[offset + s * o.l.slab + r * o.l.rs + c * o.l.cs] = random_value<T>(u);
    return o;
}

enum BMode { B_SINGLE, B_BATCHED, B_BROADCAST_ALL, B_BROADCAST_OUTER };
const char* mode_name(BMode m) {
    return m == B_SINGLE ? "single" : m == B_BATCHED ? "B batched" : m == B_BROADCAST_ALL ? "B broadcast" : "B broadcast over outer";
}

template <typename T>
void run_case(const Case& cs, bool ta, bool tb, BMode mode, int accumulate, const char* kname,
              void (*kernel)(const T*, long long, long long, long long, long long, long long, const T*, long long,
                             long long, long long, long long, long long, T*, long long, int, int, int, int, int)) {
    ++g_cases;
    const int M = cs.m, N = cs.n, K = cs.k, batch = cs.bo * cs.bi;
    Operand<T> a = make_operand<T>(M, K, ta, cs.bo, cs.bi, false, false, 7);
    bool bco = mode == B_BROADCAST_ALL || mode == B_BROADCAST_OUTER, bci = mode == B_BROADCAST_ALL;
    Operand<T> b = make_operand<T>(K, N, tb, cs.bo, cs.bi, bco, bci, 5);
    // The tail covers a whole tile row past the end, so a kernel that skips its store guard hits
    // the sentinel here rather than the heap.
    const long long c_off = 11, c_len = (long long)batch * M * N, tail = 128LL * (N + 128);
    const T sentinel = (T)12345.0;
    std::vector<T> c(c_off + c_len + tail, sentinel);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (long long i = 0; i < c_len; ++i) c[c_off + i] = accumulate ? random_value<T>(u) : unused<T>();
    std::vector<T> c0(c);

    emu_launch(dim3(cs.gx, cs.gy, cs.gz), dim3(cs.block), kernel, (const T*)a.data.data(), a.offset, a.bs_outer,
               a.bs_inner, a.l.rs, a.l.cs, (const T*)b.data.data(), b.offset, b.bs_outer, b.bs_inner, b.l.rs,
               b.l.cs, c.data(), c_off, M, N, K, cs.bi, accumulate);

    const double rel = std::numeric_limits<T>::is_integer ? 0 : sizeof(T) == 4 ? 1e-5 : 1e-12;
    int bad = 0;
    for (int zo = 0; zo < cs.bo; ++zo)
        for (int zi = 0; zi < cs.bi; ++zi)
            for (int i = 0; i < M; ++i)
                for (int j = 0; j < N; ++j) {
                    double ref = 0, mag = 0;
                    for (int p = 0; p < K; ++p) {
                        double x = (double)a.at(zo, zi, i, p) * (double)b.at(zo, zi, p, j);
                        ref += x;
                        mag += std::fabs(x);
                    }
                    long long idx = c_off + ((long long)(zo * cs.bi + zi) * M + i) * N + j;
                    if (accumulate) {
                        ref += (double)c0[idx];
                        mag += std::fabs((double)c0[idx]);
                    }
                    double got = (double)c[idx];
                    if (!(std::fabs(got - ref) <= rel * mag + (std::numeric_limits<T>::is_integer ? 0 : 1e-30))) {
                        if (bad++ < 3)
                            std::printf("FAIL %s %dx%dx(%dx%dx%d) %c%c %s acc=%d: C[%d,%d,%d,%d] = %.9g, want %.9g\n",
                                        kname, cs.bo, cs.bi, M, N, K, ta ? 'T' : 'N', tb ? 'T' : 'N', mode_name(mode),
                                        accumulate, zo, zi, i, j, got, ref);
                    }
                }
    for (long long i = 0; i < (long long)c.size(); ++i) {
        if (i >= c_off && i < c_off + c_len) continue;
        if (c[i] != sentinel) {
            if (bad++ < 3)
                std::printf("FAIL %s %dx%dx(%dx%dx%d) %c%c %s: wrote storage element %lld outside C [%lld, %lld)\n",
                            kname, cs.bo, cs.bi, M, N, K, ta ? 'T' : 'N', tb ? 'T' : 'N', mode_name(mode), i, c_off,
                            c_off + c_len);
        }
    }
    if (bad > 0) ++g_failures;
}

void run_all(const Case& cs) {
    std::vector<BMode> modes;
    if (cs.bo * cs.bi == 1) {
        modes = {B_SINGLE};
    } else {
        modes = {B_BATCHED, B_BROADCAST_ALL};
        if (cs.bi > 1) modes.push_back(B_BROADCAST_OUTER);
    }
    using F32Kernel = void (*)(const float*, long long, long long, long long, long long, long long, const float*,
                               long long, long long, long long, long long, long long, float*, long long, int, int, int,
                               int, int);
    const struct {
        const char* name;
        F32Kernel kernel;
    } large[] = {{"gemm_f32_128_nn", gemm_f32_128_nn},
                 {"gemm_f32_128_nt", gemm_f32_128_nt},
                 {"gemm_f32_128_tn", gemm_f32_128_tn},
                 {"gemm_f32_128_tt", gemm_f32_128_tt}};
    int parity = 0;
    for (BMode mode : modes)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb) {
                if (cs.tile == 128) {
                    // Every entry on every layout; accumulate alternates with the entry and the layout,
                    // so each entry and each layout runs with both.
                    for (int e = 0; e < 4; ++e)
                        run_case<float>(cs, ta, tb, mode, (parity + e) % 2, large[e].name, large[e].kernel);
                } else {
                    run_case<float>(cs, ta, tb, mode, parity % 2, "gemm_f32", gemm_f32);
                    run_case<double>(cs, ta, tb, mode, (parity + 1) % 2, "gemm_f64", gemm_f64);
                    run_case<long long>(cs, ta, tb, mode, parity % 2, "gemm_i64", gemm_i64);
                }
                ++parity;
            }
}

// One PARTS:MN:GRID:BLOCK case of split K's sum, per dtype and accumulate.
template <typename T>
void run_splitk(long long parts, long long mn, unsigned grid, unsigned block, int accumulate, const char* kname,
                void (*kernel)(const T*, long long, long long, T*, long long, int)) {
    ++g_cases;
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<T> slices(parts * mn);
    for (T& v : slices) v = (T)u(g_rng);
    const std::vector<T> before = slices;
    const long long c_off = 3, c_len = mn + 5;
    const T sentinel = (T)-12345.5;
    std::vector<T> c(c_len, sentinel);
    for (long long i = 0; i < mn; ++i) c[c_off + i] = accumulate ? (T)u(g_rng) : std::numeric_limits<T>::quiet_NaN();
    std::vector<T> want(mn);
    for (long long i = 0; i < mn; ++i) {
        T acc = accumulate ? c[c_off + i] : T(0);
        for (long long s = 0; s < parts; ++s) acc += slices[s * mn + i];
        want[i] = acc;
    }
    emu_launch(dim3(grid), dim3(block), kernel, (const T*)slices.data(), parts, mn, c.data(), c_off, accumulate);
    int bad = 0;
    for (long long i = 0; i < c_len; ++i) {
        const bool inside = i >= c_off && i < c_off + mn;
        const T expected = inside ? want[i - c_off] : sentinel;
        if (std::memcmp(&c[i], &expected, sizeof(T)) != 0 && bad++ < 3)
            std::printf("FAIL %s parts=%lld mn=%lld grid=%u block=%u accumulate=%d: c[%lld] = %.9g, want %.9g\n", kname, parts,
                        mn, grid, block, accumulate, i, (double)c[i], (double)expected);
    }
    if (slices != before && bad++ < 3) std::printf("FAIL %s parts=%lld mn=%lld: wrote into the slices\n", kname, parts, mn);
    if (bad > 0) ++g_failures;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "splitk") {
        int shapes = 0;
        for (int i = 2; i < argc; ++i, ++shapes) {
            long long parts, mn;
            unsigned grid, block;
            if (std::sscanf(argv[i], "%lld:%lld:%u:%u", &parts, &mn, &grid, &block) != 4 || parts < 1 || mn < 1 || grid < 1 ||
                block < 1) {
                std::fprintf(stderr, "gemm_test: bad argument '%s'; expected PARTS:MN:GRID:BLOCK (all >= 1)\n", argv[i]);
                return 2;
            }
            for (int accumulate = 0; accumulate < 2; ++accumulate) {
                run_splitk<float>(parts, mn, grid, block, accumulate, "gemm_splitk_sum_f32", gemm_splitk_sum_f32);
                run_splitk<double>(parts, mn, grid, block, accumulate, "gemm_splitk_sum_f64", gemm_splitk_sum_f64);
            }
        }
        std::printf("gemm_test: %d split-K sum cases over %d shapes, %d failed\n", g_cases, shapes, g_failures);
        return g_failures == 0 ? 0 : 1;
    }
    std::vector<Case> cases;
    for (int i = 1; i < argc; ++i) {
        Case c{};
        if (std::sscanf(argv[i], "%d:%d:%d:%d:%d:%d:%u:%u:%u:%u", &c.bo, &c.bi, &c.m, &c.n, &c.k, &c.tile, &c.gx, &c.gy,
                        &c.gz, &c.block) != 10 ||
            c.bo < 1 || c.bi < 1 || c.m < 1 || c.n < 1 || c.k < 0 || (c.tile != 64 && c.tile != 128) || c.gx < 1 ||
            c.gy < 1 || c.gz < 1 || c.block < 1) {
            std::fprintf(stderr,
                         "gemm_test: bad argument '%s'; expected BO:BI:M:N:K:TILE:GX:GY:GZ:BLOCK (K >= 0, TILE 64 or 128, "
                         "others >= 1)\n",
                         argv[i]);
            return 2;
        }
        cases.push_back(c);
    }
    if (cases.empty()) {
        std::fprintf(stderr, "usage: gemm_test BO:BI:M:N:K:TILE:GX:GY:GZ:BLOCK...\n");
        return 2;
    }
    for (const Case& c : cases) run_all(c);
    std::printf("gemm_test: %d cases over %zu shapes (threads), %d failed\n", g_cases, cases.size(), g_failures);
    return g_failures == 0 ? 0 : 1;
}
