// Runs random.cu's kernels on the CPU (threaded emulator) and checks them: Philox 4x32-10 against
// Random123's known-answer vectors, and every fill element by element against RandomOp's rule
// computed here independently (a 64-bit-multiply Philox, Java's arithmetic in F64). Exits 1 if
// any case failed.
//
//   random_test BLOCK
//
// Also prints "SAMPLE <fill> <i> <hex bits>" lines for fixed seeds, which
// ReductionKernelEmulationTest compares with dev.fathom.spi.Philox in Java: the CPU backend's
// own generator, so the two backends are tied together bit for bit.
#include "cuda_emu.h"
#include "random.cu"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

int g_failures = 0;
int g_cases = 0;
unsigned g_block = 64;

void fail(const std::string& what) {
    if (++g_failures <= 40) std::printf("FAIL %s\n", what.c_str());
}

// Reference Philox: the round written from the paper with a 64-bit product (no __umulhi).
void ref_philox(uint32_t c[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; ++r) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c[0], p1 = (uint64_t)0xCD9E8D57u * c[2];
        uint32_t n[4] = {(uint32_t)(p1 >> 32) ^ c[1] ^ k0, (uint32_t)p1, (uint32_t)(p0 >> 32) ^ c[3] ^ k1, (uint32_t)p0};
        std::memcpy(c, n, sizeof n);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

void kat(const uint32_t ctr[4], uint32_t k0, uint32_t k1, const uint32_t want[4], const char* name) {
    ++g_cases;
    unsigned c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    philox4x32_10(c, k0, k1);
    uint32_t r[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    ref_philox(r, k0, k1);
    for (int i = 0; i < 4; ++i) {
        if (c[i] != want[i] || r[i] != want[i]) {
            char b[200];
            std::snprintf(b, sizeof b, "Philox KAT %s word %d: kernel %08x reference %08x want %08x", name, i, c[i], r[i],
                          want[i]);
            fail(b);
        }
    }
}

// The words of element i, by RandomOp's rule.
void words(uint64_t seed, uint64_t counter, long long i, uint32_t& w0, uint32_t& w1) {
    uint64_t ctr = counter + (uint64_t)(i / 2);
    uint32_t c[4] = {(uint32_t)ctr, (uint32_t)(ctr >> 32), 0, 0};
    ref_philox(c, (uint32_t)seed, (uint32_t)(seed >> 32));
    w0 = c[2 * (i % 2)];
    w1 = c[2 * (i % 2) + 1];
}
double ref_uniform_f32(uint32_t w) { return std::ldexp((double)(w >> 8), -24); }
double ref_uniform_f64(uint32_t w0, uint32_t w1) {
    return std::ldexp((double)(((uint64_t)w0 << 21) | (w1 >> 11)), -53);
}
double ref_normal(uint32_t w0, uint32_t w1) {
    double u1 = std::ldexp((double)w0 + 1, -32), u2 = std::ldexp((double)w1, -32);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

template <typename T> auto entry();
template <> auto entry<float>() { return random_f32; }
template <> auto entry<double>() { return random_f64; }
template <> auto entry<long long>() { return random_i64; }
template <> auto entry<unsigned char>() { return random_u8; }

const char* OPS[] = {"UNIFORM", "NORMAL", "BERNOULLI"};

template <typename T> std::vector<T> fill(int op, long long n, uint64_t seed, uint64_t counter, double a, double b,
                                          unsigned grid) {
    const long long off = 3;
    std::vector<T> out(n + off + 2, (T)77);
    emu_launch(dim3(grid), dim3(g_block), entry<T>(), op, out.data(), off, n, (unsigned long long)seed,
               (unsigned long long)counter, a, b);
    if (out[0] != (T)77 || out[off - 1] != (T)77 || out[off + n] != (T)77 || out[off + n + 1] != (T)77)
        fail(std::string("random ") + OPS[op] + ": wrote outside [offset, offset + n)");
    return std::vector<T>(out.begin() + off, out.begin() + off + n);
}

template <typename T> void check(const char* tname, int op, long long n, uint64_t seed, uint64_t counter, double a,
                                 double b, unsigned grid) {
    ++g_cases;
    std::vector<T> got = fill<T>(op, n, seed, counter, a, b, grid);
    int bad = 0;
    for (long long i = 0; i < n && bad < 3; ++i) {
        uint32_t w0, w1;
        words(seed, counter, i, w0, w1);
        double want;
        bool exact = true;
        if (op == RND_UNIFORM) {
            want = sizeof(T) == 4 ? (double)(float)(a + (b - a) * ref_uniform_f32(w0)) : a + (b - a) * ref_uniform_f64(w0, w1);
        } else if (op == RND_NORMAL) {
            want = (double)(T)(a + b * ref_normal(w0, w1));
            exact = sizeof(T) == 4;  // F64: within 1 ulp of this F64 math (the GPU's log/cos may differ by an ulp)
        } else {
            want = ref_uniform_f32(w0) < a ? 1 : 0;
        }
        double g = (double)got[i];
        bool ok = exact ? g == want : std::fabs(g - want) <= std::fabs(std::nextafter(want, INFINITY) - want);
        if (!ok) {
            ++bad;
            char buf[240];
            std::snprintf(buf, sizeof buf, "random_%s %s n=%lld grid=%u seed=%" PRIx64 " counter=%" PRIu64
                          " element %lld: got %.17g want %.17g", tname, OPS[op], n, grid, seed, counter, i, g, want);
            fail(buf);
        }
    }
}

void sample(const char* name, int op, bool f64, uint64_t seed, uint64_t counter, double a, double b) {
    const long long n = 9;
    if (f64) {
        std::vector<double> v = fill<double>(op, n, seed, counter, a, b, 1);
        for (long long i = 0; i < n; ++i) {
            uint64_t bits;
            std::memcpy(&bits, &v[i], 8);
            std::printf("SAMPLE %s %lld %016" PRIx64 "\n", name, i, bits);
        }
    } else {
        std::vector<float> v = fill<float>(op, n, seed, counter, a, b, 1);
        for (long long i = 0; i < n; ++i) {
            uint32_t bits;
            std::memcpy(&bits, &v[i], 4);
            std::printf("SAMPLE %s %lld %08x\n", name, i, bits);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1) g_block = (unsigned)std::stoul(argv[1]);
    // Random123 kat_vectors, philox4x32_10.
    const uint32_t z[4] = {0, 0, 0, 0}, zw[4] = {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8};
    const uint32_t f[4] = {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                   fw[4] = {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd};
    const uint32_t p[4] = {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                   pw[4] = {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1};
    kat(z, 0, 0, zw, "zeros");
    kat(f, 0xffffffff, 0xffffffff, fw, "ones");
    kat(p, 0xa4093822, 0x299f31d0, pw, "pi");

    const uint64_t seed = 0x299f31d0a4093822ull;
    // A counter base whose low word wraps inside the fill, so the carry into the high word is exercised.
    const uint64_t counters[] = {0, 0xfffffff0ull};
    for (long long n : {1LL, 31LL, 255LL, 1000LL, 100003LL}) {
        unsigned grid = n > 1000 ? 3 : 1;  // capped: threads loop over pairs
        for (uint64_t c : counters) {
            check<float>("f32", RND_UNIFORM, n, seed, c, -2.0, 3.0, grid);
            check<double>("f64", RND_UNIFORM, n, seed, c, -2.0, 3.0, grid);
            check<float>("f32", RND_NORMAL, n, seed, c, 0.5, 2.0, grid);
            check<double>("f64", RND_NORMAL, n, seed, c, 0.5, 2.0, grid);
            check<float>("f32", RND_BERNOULLI, n, seed, c, 0.3, 0, grid);
            check<double>("f64", RND_BERNOULLI, n, seed, c, 0.3, 0, grid);
            check<long long>("i64", RND_BERNOULLI, n, seed, c, 0.7, 0, grid);
            check<unsigned char>("u8", RND_BERNOULLI, n, seed, c, 0.7, 0, grid);
        }
    }
    sample("uniform_f32", RND_UNIFORM, false, seed, 5, -2.0, 3.0);
    sample("uniform_f64", RND_UNIFORM, true, seed, 5, -2.0, 3.0);
    sample("normal_f32", RND_NORMAL, false, seed, 5, 0.5, 2.0);
    sample("bernoulli_f32", RND_BERNOULLI, false, seed, 5, 0.3, 0);
    std::printf("random_test: block %u, %d cases, %d failed\n", g_block, g_cases, g_failures);
    return g_failures == 0 ? 0 : 1;
}
