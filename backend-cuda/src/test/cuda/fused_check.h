// Shared plumbing of the fused-kernel emulation drivers (softmax_test, norm_test, optim_test,
// recurrent_test): failure counting, tolerance checks that treat NaN = NaN, guarded buffers whose
// elements outside the operand must stay untouched, and parsing of the launch-plan arguments that
// dev.fathom.cuda.FusedKernelEmulationTest (and RecurrentKernelEmulationTest) compute with
// FusedLaunchPlan and LaunchGeometry.
#pragma once

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace fused {

inline int g_failures = 0;
inline int g_cases = 0;

inline void fail(const std::string& what) {
    if (++g_failures <= 40) std::printf("FAIL %s\n", what.c_str());
}

inline bool is_nan(double v) { return v != v; }

// |got - want| <= tol, where NaN matches only NaN (and an infinity only the same infinity).
inline bool close(double got, double want, double tol) {
    if (is_nan(want) || is_nan(got)) return is_nan(want) && is_nan(got);
    if (std::isinf(want) || std::isinf(got)) return got == want;
    return std::fabs(got - want) <= tol;
}

// Checks got against want within tol; names the case and the element on failure (first few only).
inline bool expect(const std::string& where, long long i, double got, double want, double tol) {
    if (close(got, want, tol)) return true;
    char buf[160];
    std::snprintf(buf, sizeof buf, " [%lld]: got %.17g want %.17g (tol %.3g)", i, got, want, tol);
    fail(where + buf);
    return false;
}

// An operand of numel elements that starts `offset` elements into its buffer, with `guard`
// sentinel elements before and after that the kernels must not write.
template <typename T> struct Guarded {
    static constexpr long long GUARD = 3;
    std::vector<T> buf;
    long long offset;
    long long numel;
    Guarded(long long n, long long off, T fill = T(-777)) : buf(off + n + GUARD, fill), offset(off), numel(n) {}
    T& operator[](long long i) { return buf[offset + i]; }
    T* base() { return buf.data(); }
    bool guards_intact(T fill = T(-777)) const {
        for (long long i = 0; i < offset; ++i)
            if (buf[i] != fill) return false;
        for (long long i = offset + numel; i < (long long)buf.size(); ++i)
            if (buf[i] != fill) return false;
        return true;
    }
};

// "a:b:c:..." as integers.
inline std::vector<long long> split_ints(const std::string& s) {
    std::vector<long long> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(':', start);
        if (end == std::string::npos) end = s.size();
        out.push_back(std::stoll(s.substr(start, end - start)));
        start = end + 1;
    }
    return out;
}

inline int summary(const char* name) {
    std::printf("%s: %d cases, %d failed\n", name, g_cases, g_failures);
    return g_failures == 0 ? 0 : 1;
}

}  // namespace fused
