// Runs index.cu's gather and scatter-add on the CPU (threaded emulator, so atomicAdd really
// contends) against references written here; exits 1 if any case failed.
//
//   index_test BLOCK
//
// Data operands of shape [4, 5, 6], contiguous or permuted (reversed dim order) and with an
// offset, indexed along each dim by an index with 7 entries on that dim and one kept dim
// shortened; 1-D index lengths 1, 31, 255, 1000, 100003 (scatter-add of 100003 values into 10
// slots: heavy contention); an out-of-range index (-1, size), and a second one after it where the
// index is long enough, must leave the first one's position and value in the fault slot. Then
// check_range on F32, F64 and I64 against a serial scan: bad values, NaN, an allowed value.
#include "cuda_emu.h"
#include "index.cu"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

int g_failures = 0;
int g_cases = 0;
unsigned g_block = 64;

void fail(const std::string& what) {
    if (++g_failures <= 40) std::printf("FAIL %s\n", what.c_str());
}

unsigned grid_for(long long n) { return (unsigned)std::min<long long>(3, (n + g_block - 1) / g_block); }

StridedDesc desc(const std::vector<long long>& shape, const std::vector<long long>& strides, long long offset) {
    StridedDesc d{};
    d.rank = (int)shape.size();
    d.offset = offset;
    for (int k = 0; k < d.rank; ++k) {
        d.sizes[k] = shape[k];
        d.strides[k] = strides[k];
    }
    return d;
}
std::vector<long long> contiguous(const std::vector<long long>& shape) {
    std::vector<long long> s(shape.size());
    long long acc = 1;
    for (int k = (int)shape.size() - 1; k >= 0; --k) {
        s[k] = acc;
        acc *= shape[k];
    }
    return s;
}
// Strides of `shape` stored in reversed dim order (a transposed view).
std::vector<long long> permuted(const std::vector<long long>& shape) {
    std::vector<long long> s(shape.size());
    long long acc = 1;
    for (size_t k = 0; k < shape.size(); ++k) {
        s[k] = acc;
        acc *= shape[k];
    }
    return s;
}
long long numel(const std::vector<long long>& shape) {
    long long n = 1;
    for (long long v : shape) n *= v;
    return n;
}
// Row-major multi-index of flat i in shape.
std::vector<long long> unflatten(long long i, const std::vector<long long>& shape) {
    std::vector<long long> ix(shape.size());
    for (int k = (int)shape.size() - 1; k >= 0; --k) {
        ix[k] = i % shape[k];
        i /= shape[k];
    }
    return ix;
}
long long at(const std::vector<long long>& ix, const std::vector<long long>& strides, long long off) {
    for (size_t k = 0; k < ix.size(); ++k) off += ix[k] * strides[k];
    return off;
}

template <typename T> auto gather_entry();
template <> auto gather_entry<float>() { return gather_f32; }
template <> auto gather_entry<double>() { return gather_f64; }
template <> auto gather_entry<long long>() { return gather_i64; }
template <typename T> auto scatter_entry();
template <> auto scatter_entry<float>() { return scatter_add_f32; }
template <> auto scatter_entry<double>() { return scatter_add_f64; }
template <> auto scatter_entry<long long>() { return scatter_add_i64; }

// One gather and one scatter-add of data shape `shape` along dim, index shape `ishape`.
// bad >= 0 plants an out-of-range value at index element bad.
template <typename T> void run(const char* tname, const std::vector<long long>& shape, bool perm, int dim,
                               const std::vector<long long>& ishape, long long bad_at, long long bad_value,
                               std::mt19937_64& rng) {
    char where[200];
    std::snprintf(where, sizeof where, "%s data rank %zu numel %lld %s dim %d index numel %lld bad_at %lld", tname,
                  shape.size(), numel(shape), perm ? "permuted" : "contig", dim, numel(ishape), bad_at);
    const long long xoff = 5, n = numel(ishape);
    std::vector<long long> xs = perm ? permuted(shape) : contiguous(shape);
    std::vector<T> x(xoff + numel(shape));
    for (auto& v : x) v = (T)(long long)(rng() % 2000) - (T)1000;
    if (!std::is_integral<T>::value)
        for (auto& v : x) v = v / (T)7;
    std::vector<long long> idx(n);
    for (auto& v : idx) v = (long long)(rng() % shape[dim]);
    if (bad_at >= 0) idx[bad_at] = bad_value;
    // A later bad index (threads of other blocks may note it first): the slot must still name bad_at.
    if (bad_at >= 0 && bad_at + 1 < n) idx[n - 1] = shape[dim] + 5;
    auto is_bad = [&](long long i) { return idx[i] < 0 || idx[i] >= shape[dim]; };
    const unsigned long long want_fault =
        bad_at < 0 ? 0ULL : ~((unsigned long long)bad_at << 32 | (unsigned)(int)std::clamp<long long>(bad_value, INT32_MIN, INT32_MAX));
    auto fault_text = [](unsigned long long f) {
        char b[64];
        std::snprintf(b, sizeof b, "fault slot 0x%016llx", f);
        return std::string(b);
    };
    // The data operand seen with the index's sizes and stride 0 on dim (the host's job).
    std::vector<long long> xs0 = xs;
    xs0[dim] = 0;
    std::vector<long long> ist = contiguous(ishape);

    // gather into a permuted output
    {
        ++g_cases;
        std::vector<long long> os = permuted(ishape);
        std::vector<T> out(n + 2, (T)-3);
        unsigned long long fault = 0;
        emu_launch(dim3(grid_for(n)), dim3(g_block), gather_entry<T>(), (const T*)x.data(), desc(ishape, xs0, xoff),
                   shape[dim], xs[dim], (const long long*)idx.data(), desc(ishape, ist, 0), out.data(),
                   desc(ishape, os, 1), n, &fault);
        if (fault != want_fault) fail(std::string("gather ") + where + ": " + fault_text(fault) + ", want " + fault_text(want_fault));
        int shown = 0;
        for (long long i = 0; i < n; ++i) {
            std::vector<long long> ix = unflatten(i, ishape);
            T want = 0;
            if (!is_bad(i)) {
                std::vector<long long> src = ix;
                src[dim] = idx[i];
                want = x[at(src, xs, xoff)];
            }
            T got = out[at(ix, os, 1)];
            if (got != want && shown++ < 3)
                fail(std::string("gather ") + where + ": element " + std::to_string(i) + " got " + std::to_string(got) +
                     " want " + std::to_string(want));
        }
        if (out[0] != (T)-3 || out[n + 1] != (T)-3) fail(std::string("gather ") + where + ": wrote outside out");
    }
    // scatter-add of src (index's shape, contiguous) into a contiguous out of `shape` at an offset
    {
        ++g_cases;
        std::vector<T> src(n);
        for (auto& v : src) v = (T)(long long)(rng() % 200) - (T)100;
        if (!std::is_integral<T>::value)
            for (auto& v : src) v = v / (T)3;
        std::vector<long long> os = contiguous(shape), os0 = os;
        os0[dim] = 0;
        const long long ooff = 2;
        std::vector<T> out(ooff + numel(shape) + 1);
        for (auto& v : out) v = (T)(long long)(rng() % 10);
        std::vector<double> ref(out.begin(), out.end());
        std::vector<double> mag(out.begin(), out.end()), count(out.size(), 1);
        for (auto& m : mag) m = std::fabs(m);
        for (long long i = 0; i < n; ++i) {
            if (is_bad(i)) continue;
            std::vector<long long> ix = unflatten(i, ishape);
            ix[dim] = idx[i];
            long long o = at(ix, os, ooff);
            ref[o] += (double)src[i];
            mag[o] += std::fabs((double)src[i]);
            count[o] += 1;
        }
        unsigned long long fault = 0;
        emu_launch(dim3(grid_for(n)), dim3(g_block), scatter_entry<T>(), (const T*)src.data(), desc(ishape, ist, 0),
                   (const long long*)idx.data(), desc(ishape, ist, 0), out.data(), desc(ishape, os0, ooff), shape[dim],
                   os[dim], n, &fault);
        if (fault != want_fault)
            fail(std::string("scatter_add ") + where + ": " + fault_text(fault) + ", want " + fault_text(want_fault));
        int shown = 0;
        for (size_t k = 0; k < out.size(); ++k) {
            // The recursive-summation bound for any order of the atomic adds: (count-1)·u·Σ|terms|.
            double u = sizeof(T) == 4 ? 0x1p-24 : 0x1p-53;
            double tol = std::is_integral<T>::value ? 0 : count[k] * u * mag[k];
            if (!(std::fabs((double)out[k] - ref[k]) <= tol) && shown++ < 3)
                fail(std::string("scatter_add ") + where + ": out[" + std::to_string(k) + "] got " +
                     std::to_string((double)out[k]) + " want " + std::to_string(ref[k]));
        }
    }
}

template <typename T> void run_dtype(const char* tname, std::mt19937_64& rng) {
    const std::vector<long long> shape = {4, 5, 6};
    for (bool perm : {false, true}) {
        for (int dim = 0; dim < 3; ++dim) {
            std::vector<long long> ishape = shape;
            ishape[dim] = 7;
            ishape[(dim + 1) % 3] -= 1;
            run<T>(tname, shape, perm, dim, ishape, -1, 0, rng);
        }
    }
    for (long long n : {1LL, 31LL, 255LL, 1000LL, 100003LL}) {
        run<T>(tname, {10}, false, 0, {n}, -1, 0, rng);
    }
    run<T>(tname, shape, true, 1, {4, 7, 6}, 17, 5, rng);   // == size
    run<T>(tname, {10}, false, 0, {255}, 254, -1, rng);      // negative
    run<T>(tname, {10}, false, 0, {100003}, 3, 1LL << 40, rng);  // beyond an int: noted as INT32_MAX
}

template <typename T> auto check_entry();
template <> auto check_entry<float>() { return check_range_f32; }
template <> auto check_entry<double>() { return check_range_f64; }
template <> auto check_entry<long long>() { return check_range_i64; }

// The fault slot a check of x against [lo, hi] (or `allowed`) must leave, from a serial scan: the
// first bad element's position and value (an int for I64, the F32 bits otherwise), or 0.
template <typename T>
unsigned long long want_check(const std::vector<T>& x, double lo, double hi, double allowed) {
    for (size_t i = 0; i < x.size(); ++i) {
        double d = (double)x[i];
        if ((d >= lo && d <= hi) || d == allowed) continue;
        unsigned bits;
        if (std::is_integral<T>::value) {
            bits = (unsigned)(int)std::clamp<long long>((long long)x[i], INT32_MIN, INT32_MAX);
        } else {
            float f = (float)x[i];
            std::memcpy(&bits, &f, sizeof bits);
        }
        return ~((unsigned long long)i << 32 | bits);
    }
    return 0;
}

// check_range over n values in [0, 10) with bad ones planted at `bad` (value `v` each), against
// [0, 9] with -100 allowed; each `bad` entry also gets a later twin so the first must win.
template <typename T>
void run_check(const char* tname, long long n, std::vector<std::pair<long long, T>> bad, std::mt19937_64& rng) {
    ++g_cases;
    std::vector<T> x(n);
    for (auto& v : x) v = (T)(long long)(rng() % 10);
    for (auto& [at, v] : bad) x[at] = v;
    if (n > 2) x[n - 1] = (T)-100;  // the allowed value
    unsigned long long fault = 0, want = want_check(x, 0, 9, -100);
    emu_launch(dim3(grid_for(n)), dim3(g_block), check_entry<T>(), (const T*)x.data(), n, 0.0, 9.0, -100.0, &fault);
    if (fault != want) {
        char b[160];
        std::snprintf(b, sizeof b, "check_range %s n %lld: fault slot 0x%016llx, want 0x%016llx", tname, n, fault, want);
        fail(b);
    }
}

template <typename T> void run_checks(const char* tname, std::mt19937_64& rng) {
    run_check<T>(tname, 1000, {}, rng);
    run_check<T>(tname, 1, {{0, (T)10}}, rng);
    run_check<T>(tname, 100003, {{77777, (T)12}, {99999, (T)-1}}, rng);
    run_check<T>(tname, 100003, {{5, (T)-3}, {64, (T)10}}, rng);
    if constexpr (std::is_integral<T>::value) {
        run_check<T>(tname, 1000, {{900, (T)(1LL << 40)}}, rng);  // noted as INT32_MAX
    } else {
        run_check<T>(tname, 1000, {{300, (T)NAN}, {301, (T)9.5}}, rng);  // NaN is never in range
        run_check<T>(tname, 1000, {{2, (T)-0.25}}, rng);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1) g_block = (unsigned)std::stoul(argv[1]);
    std::mt19937_64 rng(7);
    run_dtype<float>("f32", rng);
    run_dtype<double>("f64", rng);
    run_dtype<long long>("i64", rng);
    run_checks<float>("f32", rng);
    run_checks<double>("f64", rng);
    run_checks<long long>("i64", rng);
    std::printf("index_test: block %u, %d cases, %d failed\n", g_block, g_cases, g_failures);
    return g_failures == 0 ? 0 : 1;
}
