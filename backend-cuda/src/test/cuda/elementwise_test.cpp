// Runs every kernel of elementwise.cu on the CPU (through cuda_emu.h) against an F64 reference
// written here, and prints one line per failing case; exits 1 if any failed.
//
//   elementwise_test [--threads] N:GRID:BLOCK...
//
// Each N:GRID:BLOCK runs the whole op matrix on an output of N elements with that launch
// geometry (KernelEmulationTest passes the geometry dev.fathom.cuda.LaunchGeometry computes).
// --threads launches with emu_launch (one std::thread per CUDA thread, as concurrent as on a
// GPU) instead of emu_launch_sequential. Inputs: random values with NaNs sprinkled in, laid out
// contiguous, permuted (reversed dim order; stride 2 for rank 1), broadcast (stride 0) or with an
// offset; outputs contiguous or permuted, and storage a kernel must not touch is checked intact.
#include "cuda_emu.h"
#include "elementwise.cu"

#include <cinttypes>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

bool g_threads = false;
int g_failures = 0;
int g_cases = 0;

template <typename... P, typename... A> void launch(dim3 grid, dim3 block, void (*k)(P...), A&&... args) {
    if (g_threads) {
        emu_launch(grid, block, k, std::forward<A>(args)...);
    } else {
        emu_launch_sequential(grid, block, k, std::forward<A>(args)...);
    }
}

struct Geometry {
    long long n;
    unsigned grid, block;
};

// DENSE and DENSE_ODD are rank 1 and stride 1, as the host sends contiguous operands after merging
// their dims: DENSE 16-byte aligned (elementwise.cu's float4 path for F32), DENSE_ODD one float off.
enum Layout { CONTIG, PERMUTED, BROADCAST, DENSE, DENSE_ODD };
const char* layout_name(Layout l) {
    return l == CONTIG ? "contig" : l == PERMUTED ? "permuted" : l == BROADCAST ? "broadcast" : l == DENSE ? "dense" : "dense+1";
}

// The output shape for n elements: a few dims when n factors, so permutations mean something.
std::vector<long long> shape_for(long long n) {
    if (n == 1000) return {10, 4, 25};
    for (long long f = 3; f <= 40; ++f) {
        if (n % f == 0 && n / f > 1) return {f, n / f};
    }
    return {n};
}

// A layout of `shape` plus the storage it needs. Offsets differ per layout so that a kernel that
// ignores the offset fails.
struct Operand {
    StridedDesc d{};
    long long storage = 0;
};

Operand make_layout(const std::vector<long long>& shape, Layout kind) {
    Operand o;
    int r = (int)shape.size();
    o.d.rank = r;
    for (int k = 0; k < r; ++k) o.d.sizes[k] = shape[k];
    if (kind == DENSE || kind == DENSE_ODD) {
        long long n = 1;
        for (long long d : shape) n *= d;
        o.d.rank = 1;
        o.d.sizes[0] = n;
        o.d.strides[0] = 1;
        o.d.offset = kind == DENSE ? 4 : 1;  // storage from operator new is 16-byte aligned: see aligned_as_planned
        o.storage = n + o.d.offset + 2;
        return o;
    }
    if (kind == CONTIG) {
        long long acc = 1;
        for (int k = r - 1; k >= 0; --k) { o.d.strides[k] = acc; acc *= shape[k]; }
        o.d.offset = 3;
    } else if (kind == PERMUTED) {
        if (r == 1) {
            o.d.strides[0] = 2;  // a gap after every element
        } else {
            long long acc = 1;  // dim 0 fastest: the transpose of a contiguous tensor
            for (int k = 0; k < r; ++k) { o.d.strides[k] = acc; acc *= shape[k]; }
        }
        o.d.offset = 5;
    } else {
        // dim 0 broadcast (stride 0); the rest contiguous. Rank 1 broadcasts one scalar.
        long long acc = 1;
        for (int k = r - 1; k >= 1; --k) { o.d.strides[k] = acc; acc *= shape[k]; }
        o.d.strides[0] = 0;
        o.d.offset = 1;
    }
    long long last = o.d.offset;
    for (int k = 0; k < r; ++k) last += (shape[k] - 1) * o.d.strides[k];
    o.storage = last + 1 + 2;  // two trailing elements no kernel may touch
    return o;
}

// Storage offsets in row-major order of the shape, by an odometer (independent of fathom_offset).
std::vector<long long> offsets(const StridedDesc& d) {
    long long n = 1;
    for (int k = 0; k < d.rank; ++k) n *= d.sizes[k];
    std::vector<long long> out(n);
    std::vector<long long> idx(d.rank, 0);
    for (long long i = 0; i < n; ++i) {
        long long off = d.offset;
        for (int k = 0; k < d.rank; ++k) off += idx[k] * d.strides[k];
        out[i] = off;
        for (int k = d.rank - 1; k >= 0; --k) {
            if (++idx[k] < d.sizes[k]) break;
            idx[k] = 0;
        }
    }
    return out;
}

std::mt19937_64 rng(20261125);

template <typename T> std::vector<T> random_floats(long long count, double lo, double hi, bool nans) {
    std::uniform_real_distribution<double> u(lo, hi);
    std::vector<T> v(count);
    for (long long i = 0; i < count; ++i) v[i] = (T)u(rng);
    if (nans) {
        for (long long i = 7; i < count; i += 53) v[i] = (T)NAN;
    }
    return v;
}

std::vector<unsigned char> random_bools(long long count) {
    std::vector<unsigned char> v(count);
    for (auto& x : v) x = (unsigned char)(rng() & 1);
    return v;
}

// ---- the F64 reference (ScalarMath's formulas; erf by its own series, not libm's) -------------

double ref_erfc(double x);
double ref_erf(double x) {
    if (std::isnan(x)) return x;
    double ax = std::fabs(x), r;
    if (ax < 3) {
        double x2 = ax * ax, term = ax, sum = ax;
        for (int n = 1; n < 200; ++n) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        r = 2.0 / std::sqrt(M_PI) * std::exp(-x2) * sum;
    } else {
        r = 1 - ref_erfc(ax);
    }
    return std::copysign(r, x);
}
double ref_erfc(double x) {
    if (std::isnan(x)) return x;
    if (x < 3) return 1 - ref_erf(x);
    if (x > 27) return 0;
    double f = x;
    for (int n = 120; n >= 1; --n) f = x + (n * 0.5) / f;
    return std::exp(-x * x) / std::sqrt(M_PI) / f;
}
double ref_sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }
double ref_phi(double x) {
    return x < 0 ? 0.5 * ref_erfc(-x * std::sqrt(0.5)) : 0.5 * (1 + ref_erf(x * std::sqrt(0.5)));
}

double ref_unary(int op, double x) {
    switch (op) {
    case U_NEG: return -x;
    case U_ABS: return std::fabs(x);
    case U_SIGN: return x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x;
    case U_EXP: return std::exp(x);
    case U_LOG: return std::log(x);
    case U_SQRT: return std::sqrt(x);
    case U_RSQRT: return 1 / std::sqrt(x);
    case U_RECIPROCAL: return 1 / x;
    case U_SIN: return std::sin(x);
    case U_COS: return std::cos(x);
    case U_TANH: return std::tanh(x);
    case U_SIGMOID: return ref_sigmoid(x);
    case U_RELU: return x > 0 || std::isnan(x) ? x : 0;
    case U_GELU: return x * ref_phi(x);
    case U_GELU_TANH: return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    case U_SILU: return x * ref_sigmoid(x);
    case U_ERF: return ref_erf(x);
    }
    return NAN;
}

double ref_binary(int op, double a, double b) {
    bool nan = std::isnan(a) || std::isnan(b);
    switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return std::pow(a, b);
    case B_MAXIMUM: return nan ? NAN : std::max(a, b);
    case B_MINIMUM: return nan ? NAN : std::min(a, b);
    case B_EQ: return a == b;
    case B_NE: return a != b;
    case B_LT: return a < b;
    case B_LE: return a <= b;
    case B_GT: return a > b;
    case B_GE: return a >= b;
    }
    return NAN;
}

const char* const UNARY_NAMES[] = {"NEG", "ABS", "SIGN", "EXP", "LOG", "SQRT", "RSQRT", "RECIPROCAL", "SIN", "COS",
                                   "TANH", "SIGMOID", "RELU", "GELU", "GELU_TANH", "SILU", "ERF", "NOT"};
const char* const BINARY_NAMES[] = {"ADD", "SUB", "MUL", "DIV", "POW", "MAXIMUM", "MINIMUM", "EQ",
                                    "NE", "LT", "LE", "GT", "GE", "AND", "OR", "XOR"};

// ---- checking ---------------------------------------------------------------------------------------

// Tolerances of the Java conformance suite: F32 2e-6 + 2e-5·|ref|, F64 1e-12 + 1e-10·|ref|.
template <typename T> bool close(double got, double want) {
    if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
    if (std::isinf(want) || std::isinf(got)) return got == want;
    double atol = sizeof(T) == 4 ? 2e-6 : 1e-12, rtol = sizeof(T) == 4 ? 2e-5 : 1e-10;
    return std::fabs(got - want) <= atol + rtol * std::fabs(want);
}
template <> bool close<long long>(double, double) { return false; }  // integers compare exactly (see check)

template <typename T> double as_double(T v) { return (double)v; }

// Checks an output storage after a launch: addressed elements against want (exact when `exact`),
// every other element unchanged from `before`. Prints the first bad element of the case.
template <typename T>
void check(const std::string& what, const Geometry& g, const std::vector<T>& out, const std::vector<T>& before,
           const StridedDesc& od, const std::vector<T>& want, bool exact) {
    ++g_cases;
    std::vector<long long> offs = offsets(od);
    std::vector<char> addressed(out.size(), 0);
    for (long long i = 0; i < (long long)offs.size(); ++i) {
        addressed[offs[i]] = 1;
        T got = out[offs[i]];
        bool ok = exact ? (std::memcmp(&got, &want[i], sizeof(T)) == 0 || (got == want[i]) ||
                           (as_double(got) != as_double(got) && as_double(want[i]) != as_double(want[i])))
                        : close<T>(as_double(got), as_double(want[i]));
        if (!ok) {
            std::printf("FAIL %s n=%lld geometry=%ux%u: flat %lld (storage %lld): got %.17g, expected %.17g\n",
                        what.c_str(), g.n, g.grid, g.block, i, offs[i], as_double(got), as_double(want[i]));
            ++g_failures;
            return;
        }
    }
    for (size_t s = 0; s < out.size(); ++s) {
        if (!addressed[s] && std::memcmp(&out[s], &before[s], sizeof(T)) != 0) {
            std::printf("FAIL %s n=%lld geometry=%ux%u: storage %zu is outside the output view but was written\n",
                        what.c_str(), g.n, g.grid, g.block, s);
            ++g_failures;
            return;
        }
    }
}

// Output storage prefilled with a sentinel, so an element the kernel forgot fails.
template <typename T> std::vector<T> sentinel_storage(long long count) { return std::vector<T>(count, (T)77); }

template <typename T> const char* dtype_name() {
    if constexpr (std::is_same_v<T, float>) return "f32";
    else if constexpr (std::is_same_v<T, double>) return "f64";
    else if constexpr (std::is_same_v<T, long long>) return "i64";
    else return "u8";
}

// ---- families -------------------------------------------------------------------------------------

template <typename T>
void test_unary(const Geometry& g, void (*kernel)(int, const T*, StridedDesc, T*, StridedDesc, long long)) {
    auto shape = shape_for(g.n);
    const Layout cases[][2] = {{PERMUTED, CONTIG}, {BROADCAST, CONTIG}, {CONTIG, PERMUTED}, {DENSE, DENSE}, {DENSE_ODD, DENSE}};
    for (int op = U_NEG; op <= U_ERF; ++op) {
        bool positive = op == U_LOG || op == U_SQRT || op == U_RSQRT;
        for (auto& c : cases) {
            Operand x = make_layout(shape, c[0]), o = make_layout(shape, c[1]);
            auto xs = random_floats<T>(x.storage, positive ? 0.05 : -5.0, 5.0, true);
            auto out = sentinel_storage<T>(o.storage), before = out;
            aligned_as_planned(xs.data(), x, c[0]);
            aligned_as_planned(out.data(), o, c[1]);
            launch(dim3(g.grid), dim3(g.block), kernel, op, xs.data(), x.d, out.data(), o.d, g.n);
            auto xo = offsets(x.d);
            std::vector<T> want(g.n);
            for (long long i = 0; i < g.n; ++i) want[i] = (T)ref_unary(op, (double)xs[xo[i]]);
            check(std::string("unary_") + dtype_name<T>() + " " + UNARY_NAMES[op] + " x=" + layout_name(c[0]) +
                      " out=" + layout_name(c[1]), g, out, before, o.d, want, false);
        }
    }
}

const Layout PAIRS[][3] = {{CONTIG, BROADCAST, CONTIG}, {PERMUTED, CONTIG, CONTIG}, {BROADCAST, PERMUTED, PERMUTED},
                           {DENSE, DENSE, DENSE}, {DENSE, DENSE_ODD, DENSE}, {DENSE, DENSE, DENSE_ODD}};

// An F32 DENSE operand's first element must be 16-byte aligned, and a DENSE_ODD one's not, or the
// float4 path that these cases are here for would silently not run (or run where it must not).
template <typename T> void aligned_as_planned(const T* data, const Operand& o, Layout kind) {
    if (sizeof(T) != 4 || (kind != DENSE && kind != DENSE_ODD)) return;
    bool aligned = ((unsigned long long)(data + o.d.offset) & 15) == 0;
    if (aligned != (kind == DENSE)) {
        std::printf("FAIL: F32 layout %s is %s16-byte aligned\n", layout_name(kind), aligned ? "" : "not ");
        ++g_failures;
    }
}

// One launch of a float kernel of two operands, out = f(op, a, b), on the operand and output
// layouts c, with a in [alo, ahi) and b in [blo, bhi) (NaNs included), checked against ref(a, b)
// computed in double.
template <typename T, typename Ref>
void check_map2(const Geometry& g, void (*kernel)(int, const T*, StridedDesc, const T*, StridedDesc, T*, StridedDesc, long long),
                int op, const Layout* c, double alo, double ahi, double blo, double bhi, Ref ref, const std::string& what) {
    auto shape = shape_for(g.n);
    Operand a = make_layout(shape, c[0]), b = make_layout(shape, c[1]), o = make_layout(shape, c[2]);
    auto as = random_floats<T>(a.storage, alo, ahi, true);
    auto bs = random_floats<T>(b.storage, blo, bhi, true);
    auto out = sentinel_storage<T>(o.storage), before = out;
    aligned_as_planned(as.data(), a, c[0]);
    aligned_as_planned(bs.data(), b, c[1]);
    aligned_as_planned(out.data(), o, c[2]);
    launch(dim3(g.grid), dim3(g.block), kernel, op, as.data(), a.d, bs.data(), b.d, out.data(), o.d, g.n);
    auto ao = offsets(a.d), bo = offsets(b.d);
    std::vector<T> want(g.n);
    for (long long i = 0; i < g.n; ++i) want[i] = (T)ref((double)as[ao[i]], (double)bs[bo[i]]);
    check(what + " a=" + layout_name(c[0]) + " b=" + layout_name(c[1]) + " out=" + layout_name(c[2]), g, out, before, o.d,
          want, false);
}

template <typename T>
void test_binary(const Geometry& g,
                 void (*kernel)(int, const T*, StridedDesc, const T*, StridedDesc, T*, StridedDesc, long long)) {
    for (int op = B_ADD; op <= B_MINIMUM; ++op) {
        double alo = op == B_POW ? 0.1 : -5, ahi = op == B_POW ? 3.0 : 5;
        double blo = op == B_POW ? -2 : op == B_DIV ? 0.5 : -5, bhi = op == B_POW ? 2 : op == B_DIV ? 3.0 : 5;
        for (auto& c : PAIRS) {
            check_map2<T>(g, kernel, op, c, alo, ahi, blo, bhi, [op](double a, double b) { return ref_binary(op, a, b); },
                          std::string("binary_") + dtype_name<T>() + " " + BINARY_NAMES[op]);
        }
    }
}

// activation_backward_<t>: g·op'(x) for RELU and GELU against double formulas, NaNs included
// (x is operand a, the gradient g operand b).
template <typename T>
void test_activation_backward(const Geometry& g,
                              void (*kernel)(int, const T*, StridedDesc, const T*, StridedDesc, T*, StridedDesc, long long)) {
    for (int op : {(int)U_RELU, (int)U_GELU}) {
        auto ref = [op](double v, double gv) {
            double d = 0.5 * std::erfc(-v / std::sqrt(2.0)) + v * std::exp(-0.5 * v * v) / std::sqrt(2 * M_PI);
            return op == U_RELU ? (v > 0 ? gv : 0.0) : gv * d;
        };
        for (auto& c : PAIRS) {
            check_map2<T>(g, kernel, op, c, -5, 5, -2, 2, ref,
                          std::string("activation_backward_") + dtype_name<T>() + (op == U_RELU ? " relu" : " gelu"));
        }
    }
}

// Values from a small grid so that equal pairs (EQ, LE, GE) occur often.
template <typename T> std::vector<T> tie_prone(long long count) {
    std::uniform_int_distribution<int> u(-3, 3);
    std::vector<T> v(count);
    for (auto& x : v) x = (T)(u(rng) * 0.5);
    if constexpr (std::is_floating_point_v<T>) {
        for (long long i = 5; i < count; i += 41) v[i] = (T)NAN;
    }
    return v;
}

template <typename T>
void test_compare(const Geometry& g, void (*kernel)(int, const T*, StridedDesc, const T*, StridedDesc,
                                                    unsigned char*, StridedDesc, long long)) {
    auto shape = shape_for(g.n);
    for (int op = B_EQ; op <= B_GE; ++op) {
        for (auto& c : PAIRS) {
            Operand a = make_layout(shape, c[0]), b = make_layout(shape, c[1]), o = make_layout(shape, c[2]);
            auto as = tie_prone<T>(a.storage), bs = tie_prone<T>(b.storage);
            auto out = sentinel_storage<unsigned char>(o.storage), before = out;
            launch(dim3(g.grid), dim3(g.block), kernel, op, as.data(), a.d, bs.data(), b.d, out.data(), o.d, g.n);
            auto ao = offsets(a.d), bo = offsets(b.d);
            std::vector<unsigned char> want(g.n);
            for (long long i = 0; i < g.n; ++i) want[i] = (unsigned char)ref_binary(op, (double)as[ao[i]], (double)bs[bo[i]]);
            check(std::string("compare_") + dtype_name<T>() + " " + BINARY_NAMES[op] + " a=" + layout_name(c[0]) +
                      " b=" + layout_name(c[1]), g, out, before, o.d, want, true);
        }
    }
}

template <typename S> std::vector<S> cast_source(long long count);

template <typename T>
void test_where(const Geometry& g, void (*kernel)(const unsigned char*, StridedDesc, const T*, StridedDesc, const T*,
                                                  StridedDesc, T*, StridedDesc, long long)) {
    auto shape = shape_for(g.n);
    const Layout cases[][4] = {{CONTIG, BROADCAST, PERMUTED, CONTIG}, {BROADCAST, PERMUTED, CONTIG, PERMUTED},
                               {PERMUTED, CONTIG, BROADCAST, CONTIG}};
    for (auto& c : cases) {
        Operand cd = make_layout(shape, c[0]), a = make_layout(shape, c[1]), b = make_layout(shape, c[2]),
                o = make_layout(shape, c[3]);
        auto cs = random_bools(cd.storage);
        auto as = cast_source<T>(a.storage), bs = cast_source<T>(b.storage);
        auto out = sentinel_storage<T>(o.storage), before = out;
        launch(dim3(g.grid), dim3(g.block), kernel, cs.data(), cd.d, as.data(), a.d, bs.data(), b.d, out.data(), o.d, g.n);
        auto co = offsets(cd.d), ao = offsets(a.d), bo = offsets(b.d);
        std::vector<T> want(g.n);
        for (long long i = 0; i < g.n; ++i) want[i] = cs[co[i]] ? as[ao[i]] : bs[bo[i]];
        check(std::string("where_") + dtype_name<T>() + " cond=" + layout_name(c[0]) + " a=" + layout_name(c[1]) +
                  " b=" + layout_name(c[2]), g, out, before, o.d, want, true);
    }
}

// Java's casts, written out independently of the kernel's Convert.
template <typename D, typename S> D java_cast(S x) {
    if constexpr (std::is_same_v<D, unsigned char>) {
        return x != 0 ? 1 : 0;
    } else if constexpr (std::is_same_v<D, long long> && std::is_floating_point_v<S>) {
        double v = (double)x;
        if (std::isnan(v)) return 0;
        if (v >= 9.2233720368547758e18) return INT64_MAX;
        if (v <= -9.2233720368547758e18) return INT64_MIN;
        return (long long)std::trunc(v);
    } else {
        return (D)x;
    }
}

template <typename S> std::vector<S> cast_source(long long count) {
    std::vector<S> v(count);
    if constexpr (std::is_same_v<S, unsigned char>) {
        v = random_bools(count);
    } else if constexpr (std::is_same_v<S, long long>) {
        std::uniform_int_distribution<long long> u(-(1LL << 40), 1LL << 40);
        for (auto& x : v) x = u(rng);
        for (long long i = 3; i < count; i += 29) v[i] = (i % 2 ? 1 : -1) * ((1LL << 62) + 12345);
        for (long long i = 11; i < count; i += 31) v[i] = 0;
    } else {
        v = random_floats<S>(count, -1000, 1000, true);
        const S specials[] = {(S)1e20, (S)-1e20, (S)0, (S)-0.75, (S)2.999, (S)INFINITY, (S)-INFINITY};
        for (long long i = 2, k = 0; i < count; i += 17, ++k) v[i] = specials[k % 7];
    }
    return v;
}

template <typename S, typename D>
void test_copy(const Geometry& g, void (*kernel)(const S*, StridedDesc, D*, StridedDesc, long long)) {
    auto shape = shape_for(g.n);
    const Layout cases[][2] = {{PERMUTED, CONTIG}, {BROADCAST, PERMUTED}};
    for (auto& c : cases) {
        Operand s = make_layout(shape, c[0]), o = make_layout(shape, c[1]);
        auto ss = cast_source<S>(s.storage);
        auto out = sentinel_storage<D>(o.storage), before = out;
        launch(dim3(g.grid), dim3(g.block), kernel, ss.data(), s.d, out.data(), o.d, g.n);
        auto so = offsets(s.d);
        std::vector<D> want(g.n);
        for (long long i = 0; i < g.n; ++i) want[i] = java_cast<D, S>(ss[so[i]]);
        check(std::string("copy_") + dtype_name<S>() + "_" + dtype_name<D>() + " src=" + layout_name(c[0]) +
                  " dst=" + layout_name(c[1]), g, out, before, o.d, want, true);
    }
}

template <typename T> void test_fill(const Geometry& g, void (*kernel)(T*, StridedDesc, long long, double)) {
    auto shape = shape_for(g.n);
    for (double value : {2.75, -1e20, (double)NAN, 0.0}) {
        for (Layout l : {CONTIG, PERMUTED}) {
            Operand o = make_layout(shape, l);
            auto out = sentinel_storage<T>(o.storage), before = out;
            launch(dim3(g.grid), dim3(g.block), kernel, out.data(), o.d, g.n, value);
            std::vector<T> want(g.n, java_cast<T, double>(value));
            check(std::string("fill_") + dtype_name<T>() + " " + std::to_string(value) + " dst=" + layout_name(l), g,
                  out, before, o.d, want, true);
        }
    }
}

// Java's long arithmetic: exact in 128 bits, then reduced mod 2^64 (two's complement wrap).
long long java_long(__int128 v) { return (long long)(unsigned long long)(unsigned __int128)v; }

void test_i64(const Geometry& g) {
    auto shape = shape_for(g.n);
    for (int op : {U_NEG, U_ABS, U_SIGN}) {
        for (auto& c : PAIRS) {
            Operand x = make_layout(shape, c[0]), o = make_layout(shape, c[2]);
            auto xs = cast_source<long long>(x.storage);
            for (long long i = 13; i < x.storage; i += 37) xs[i] = INT64_MIN;
            auto out = sentinel_storage<long long>(o.storage), before = out;
            launch(dim3(g.grid), dim3(g.block), unary_i64, op, xs.data(), x.d, out.data(), o.d, g.n);
            auto xo = offsets(x.d);
            std::vector<long long> want(g.n);
            for (long long i = 0; i < g.n; ++i) {
                __int128 v = xs[xo[i]];
                want[i] = op == U_NEG ? java_long(-v) : op == U_ABS ? java_long(v < 0 ? -v : v) : (v > 0) - (v < 0);
            }
            check(std::string("unary_i64 ") + UNARY_NAMES[op] + " x=" + layout_name(c[0]) + " out=" + layout_name(c[2]),
                  g, out, before, o.d, want, true);
        }
    }
    for (int op : {B_ADD, B_SUB, B_MUL, B_DIV, B_MAXIMUM, B_MINIMUM}) {
        for (bool zeros : {false, true}) {
            if (zeros && op != B_DIV) continue;
            for (auto& c : PAIRS) {
                Operand a = make_layout(shape, c[0]), b = make_layout(shape, c[1]), o = make_layout(shape, c[2]);
                auto as = cast_source<long long>(a.storage), bs = cast_source<long long>(b.storage);
                for (long long i = 13; i < a.storage; i += 37) as[i] = INT64_MIN;
                for (long long i = 0; i < b.storage; ++i) {
                    if (op == B_DIV && bs[i] == 0 && !zeros) bs[i] = 7;
                    if (op == B_DIV && i % 19 == 4) bs[i] = -1;  // LONG_MIN / -1 must wrap
                }
                auto out = sentinel_storage<long long>(o.storage), before = out;
                int status = 0;
                launch(dim3(g.grid), dim3(g.block), binary_i64, op, as.data(), a.d, bs.data(), b.d, out.data(), o.d,
                       g.n, &status);
                auto ao = offsets(a.d), bo = offsets(b.d);
                std::vector<long long> want(g.n);
                bool div0 = false;
                for (long long i = 0; i < g.n; ++i) {
                    __int128 x = as[ao[i]], y = bs[bo[i]];
                    switch (op) {
                    case B_ADD: want[i] = java_long(x + y); break;
                    case B_SUB: want[i] = java_long(x - y); break;
                    case B_MUL: want[i] = java_long(x * y); break;
                    case B_DIV:
                        if (y == 0) { div0 = true; want[i] = 0; } else { want[i] = java_long(x / y); }
                        break;
                    case B_MAXIMUM: want[i] = (long long)std::max(x, y); break;
                    default: want[i] = (long long)std::min(x, y); break;
                    }
                }
                std::string what = std::string("binary_i64 ") + BINARY_NAMES[op] + (zeros ? " (zero divisors)" : "") +
                                   " a=" + layout_name(c[0]) + " b=" + layout_name(c[1]);
                check(what, g, out, before, o.d, want, true);
                if (status != (div0 ? 1 : 0)) {
                    std::printf("FAIL %s n=%lld: status %d, expected %d\n", what.c_str(), g.n, status, div0 ? 1 : 0);
                    ++g_failures;
                }
            }
        }
    }
}

void test_bool(const Geometry& g) {
    auto shape = shape_for(g.n);
    for (auto& c : PAIRS) {
        Operand x = make_layout(shape, c[0]), o = make_layout(shape, c[2]);
        auto xs = random_bools(x.storage);
        auto out = sentinel_storage<unsigned char>(o.storage), before = out;
        launch(dim3(g.grid), dim3(g.block), unary_u8, (int)U_NOT, xs.data(), x.d, out.data(), o.d, g.n);
        auto xo = offsets(x.d);
        std::vector<unsigned char> want(g.n);
        for (long long i = 0; i < g.n; ++i) want[i] = !xs[xo[i]];
        check(std::string("unary_u8 NOT x=") + layout_name(c[0]), g, out, before, o.d, want, true);
    }
    for (int op : {B_AND, B_OR, B_XOR, B_EQ, B_NE}) {
        for (auto& c : PAIRS) {
            Operand a = make_layout(shape, c[0]), b = make_layout(shape, c[1]), o = make_layout(shape, c[2]);
            auto as = random_bools(a.storage), bs = random_bools(b.storage);
            auto out = sentinel_storage<unsigned char>(o.storage), before = out;
            launch(dim3(g.grid), dim3(g.block), binary_u8, op, as.data(), a.d, bs.data(), b.d, out.data(), o.d, g.n);
            auto ao = offsets(a.d), bo = offsets(b.d);
            std::vector<unsigned char> want(g.n);
            for (long long i = 0; i < g.n; ++i) {
                bool x = as[ao[i]], y = bs[bo[i]];
                want[i] = op == B_AND ? (x && y) : op == B_OR ? (x || y) : op == B_EQ ? (x == y) : (x != y);
            }
            check(std::string("binary_u8 ") + BINARY_NAMES[op] + " a=" + layout_name(c[0]) + " b=" + layout_name(c[1]),
                  g, out, before, o.d, want, true);
        }
    }
}

void run_all(const Geometry& g) {
    test_fill<float>(g, fill_f32);
    test_fill<double>(g, fill_f64);
    test_fill<long long>(g, fill_i64);
    test_fill<unsigned char>(g, fill_u8);
#define COPY_ROW(S, s)                                                                                  \
    test_copy<S, float>(g, copy_##s##_f32);                                                            \
    test_copy<S, double>(g, copy_##s##_f64);                                                           \
    test_copy<S, long long>(g, copy_##s##_i64);                                                        \
    test_copy<S, unsigned char>(g, copy_##s##_u8);
    COPY_ROW(float, f32)
    COPY_ROW(double, f64)
    COPY_ROW(long long, i64)
    COPY_ROW(unsigned char, u8)
#undef COPY_ROW
    test_unary<float>(g, unary_f32);
    test_unary<double>(g, unary_f64);
    test_binary<float>(g, binary_f32);
    test_binary<double>(g, binary_f64);
    test_compare<float>(g, compare_f32);
    test_compare<double>(g, compare_f64);
    test_where<float>(g, where_f32);
    test_where<double>(g, where_f64);
    test_activation_backward<float>(g, activation_backward_f32);
    test_activation_backward<double>(g, activation_backward_f64);
    test_compare<long long>(g, compare_i64);
    test_where<long long>(g, where_i64);
    test_where<unsigned char>(g, where_u8);
    test_i64(g);
    test_bool(g);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<Geometry> geometries;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--threads") {
            g_threads = true;
            continue;
        }
        Geometry g{};
        if (std::sscanf(argv[i], "%lld:%u:%u", &g.n, &g.grid, &g.block) != 3 || g.n < 1 || g.grid < 1 || g.block < 1) {
            std::fprintf(stderr, "elementwise_test: bad argument '%s'; expected N:GRID:BLOCK with all >= 1\n", argv[i]);
            return 2;
        }
        geometries.push_back(g);
    }
    if (geometries.empty()) {
        std::fprintf(stderr, "usage: elementwise_test [--threads] N:GRID:BLOCK...\n");
        return 2;
    }
    for (const Geometry& g : geometries) run_all(g);
    std::printf("elementwise_test: %d cases over %zu geometries (%s), %d failed\n", g_cases, geometries.size(),
                g_threads ? "threads" : "sequential", g_failures);
    return g_failures == 0 ? 0 : 1;
}
