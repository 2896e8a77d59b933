// Runs recurrent.cu's LSTM cell, forward and backward, on the CPU (sequential emulator: elementwise,
// no barriers) against F64 references written here; exits 1 if any case failed.
//
//   recurrent_test R:H:GRID:BLOCK ...
//
// GRID and BLOCK are dev.fathom.cuda.LaunchGeometry.forElements(R·H) (or a capped grid, so that
// threads loop). For each case, F32 and F64: the forward from random pre-activations (mostly in
// [-3, 3], some in [-12, 12] where the gates saturate, and, when there are enough, ±100, ±inf and a
// NaN in fixed units) and previous cell states, then the backward from the forward's own acts and
// a random gradOut; each once without the optional addends (null pointers) and once with random
// inputGates and gradH, whose sums with gates and gradOut[0] the references round to T as the
// kernel does. Each reference is F64 arithmetic on the kernel's T inputs, so only the
// kernel's own rounding is measured; tolerances are rtol (F32 1e-6, F64 1e-14) times the sum of
// the magnitudes each result is made of (sums such as f·cPrev + i·g may cancel), plus the
// smallest normal T (exp of a large negative argument is subnormal in F32). Every operand sits at
// its own offset inside a guarded buffer, and nothing outside the outputs may change.
#include "cuda_emu.h"
#include "recurrent.cu"
#include "fused_check.h"

#include <limits>
#include <string>

using fused::expect;
using fused::Guarded;

namespace {

template <typename T> struct Entries;
template <> struct Entries<float> {
    static constexpr const char* name = "f32";
    static constexpr auto forward = lstm_cell_f32;
    static constexpr auto backward = lstm_cell_backward_f32;
};
template <> struct Entries<double> {
    static constexpr const char* name = "f64";
    static constexpr auto forward = lstm_cell_f64;
    static constexpr auto backward = lstm_cell_backward_f64;
};

struct Geo {
    long long rows, hidden;
    unsigned grid, block;
};

template <typename T> double rtol() { return sizeof(T) == 4 ? 1e-6 : 1e-14; }
template <typename T> double floor_tol() { return (double)std::numeric_limits<T>::min(); }

double ref_sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

// The largest |got - want| / tol seen per dtype: printed, so a tolerance that is far too loose shows.
template <typename T> double& worst() {
    static double w = 0;
    return w;
}

template <typename T> bool check(const std::string& where, long long at, T got, double want, double scale) {
    double tol = rtol<T>() * scale + floor_tol<T>();
    if (!fused::is_nan(want) && !std::isinf(want) && !fused::is_nan((double)got))
        worst<T>() = std::max(worst<T>(), std::fabs((double)got - want) / tol);
    return expect(where, at, (double)got, want, tol);
}

template <typename T> void run(const Geo& c, bool addends, std::mt19937_64& rng) {
    const long long R = c.rows, H = c.hidden, n = R * H;
    char where[180];
    std::snprintf(where, sizeof where, "lstm_cell_%s R=%lld H=%lld grid=%u block=%u addends=%d", Entries<T>::name, R, H,
                  c.grid, c.block, (int)addends);
    std::uniform_real_distribution<double> narrow(-3, 3), wide(-12, 12), unit(-1, 1), cell(-2, 2);
    Guarded<T> gates(4 * n, 3), cprev(n, 1), out(2 * n, 2), acts(5 * n, 4);
    for (long long k = 0; k < 4 * n; ++k) gates[k] = (T)(k % 5 == 3 ? wide(rng) : narrow(rng));
    if (n >= 31) {
        // Saturation and non-finite pre-activations in a few units, one gate each.
        const double special[] = {100, -100, INFINITY, -INFINITY, NAN};
        for (int s = 0; s < 5; ++s) {
            const long long u = (s * 7LL) % n;
            gates[(u / H) * 4 * H + (s % 4) * H + u % H] = (T)special[s];
        }
    }
    for (long long k = 0; k < n; ++k) cprev[k] = (T)cell(rng);
    Guarded<T> input_gates(addends ? 4 * n : 0, 5);
    for (long long k = 0; k < (addends ? 4 * n : 0); ++k) input_gates[k] = (T)unit(rng);
    // A pre-activation as the kernel forms it: gates + inputGates rounded to T.
    auto z = [&](long long k) { return addends ? (double)(T)(gates[k] + input_gates[k]) : (double)gates[k]; };

    // ---- forward
    ++fused::g_cases;
    emu_launch_sequential(dim3(c.grid), dim3(c.block), Entries<T>::forward, (const T*)gates.base(), gates.offset,
                          addends ? (const T*)input_gates.base() : nullptr, addends ? input_gates.offset : 0LL,
                          (const T*)cprev.base(), cprev.offset, out.base(), out.offset, acts.base(), acts.offset, R, H);
    int bad = 0;
    for (long long r = 0; r < R && bad < 3; ++r) {
        for (long long j = 0; j < H && bad < 3; ++j) {
            const long long u = r * H + j;
            const double zi = z(r * 4 * H + j), zf = z(r * 4 * H + H + j), zg = z(r * 4 * H + 2 * H + j),
                         zo = z(r * 4 * H + 3 * H + j), cp = cprev[u];
            const double i = ref_sigmoid(zi), f = ref_sigmoid(zf), g = std::tanh(zg), o = ref_sigmoid(zo);
            const double cn = f * cp + i * g, t = std::tanh(cn), h = o * t;
            const double cscale = std::fabs(f * cp) + std::fabs(i * g);  // the sum may cancel
            const double dt = 1 - t * t;                                 // tanh' at c'
            const std::string w(where);
            bool ok = check<T>(w + " acts.i", u, acts[r * 5 * H + j], i, std::fabs(i));
            ok &= check<T>(w + " acts.f", u, acts[r * 5 * H + H + j], f, std::fabs(f));
            ok &= check<T>(w + " acts.g", u, acts[r * 5 * H + 2 * H + j], g, std::fabs(g));
            ok &= check<T>(w + " acts.o", u, acts[r * 5 * H + 3 * H + j], o, std::fabs(o));
            ok &= check<T>(w + " acts.tanh(c')", u, acts[r * 5 * H + 4 * H + j], t, std::fabs(t) + dt * cscale);
            ok &= check<T>(w + " out.c'", u, out[n + u], cn, cscale);
            ok &= check<T>(w + " out.h'", u, out[u], h, std::fabs(h) + std::fabs(o) * dt * cscale);
            if (!ok) ++bad;
        }
    }
    if (!gates.guards_intact() || !input_gates.guards_intact() || !cprev.guards_intact() || !out.guards_intact() ||
        !acts.guards_intact())
        fused::fail(std::string(where) + " forward wrote outside out and acts");

    // ---- backward, from the forward's acts
    ++fused::g_cases;
    std::snprintf(where, sizeof where, "lstm_cell_backward_%s R=%lld H=%lld grid=%u block=%u addends=%d",
                  Entries<T>::name, R, H, c.grid, c.block, (int)addends);
    Guarded<T> grad_out(2 * n, 2), grad_h(addends ? n : 0, 4), grad_gates(4 * n, 1), grad_c(n, 3);
    for (long long k = 0; k < 2 * n; ++k) grad_out[k] = (T)unit(rng);
    for (long long k = 0; k < (addends ? n : 0); ++k) grad_h[k] = (T)unit(rng);
    emu_launch_sequential(dim3(c.grid), dim3(c.block), Entries<T>::backward, (const T*)acts.base(), acts.offset,
                          (const T*)cprev.base(), cprev.offset, (const T*)grad_out.base(), grad_out.offset,
                          addends ? (const T*)grad_h.base() : nullptr, addends ? grad_h.offset : 0LL, grad_gates.base(),
                          grad_gates.offset, grad_c.base(), grad_c.offset, R, H);
    bad = 0;
    for (long long r = 0; r < R && bad < 3; ++r) {
        for (long long j = 0; j < H && bad < 3; ++j) {
            const long long u = r * H + j;
            const double i = acts[r * 5 * H + j], f = acts[r * 5 * H + H + j], g = acts[r * 5 * H + 2 * H + j],
                         o = acts[r * 5 * H + 3 * H + j], t = acts[r * 5 * H + 4 * H + j];
            const double cp = cprev[u], gc = grad_out[n + u];
            const double gh = addends ? (double)(T)(grad_out[u] + grad_h[u]) : (double)grad_out[u];
            const double dc = gc + gh * o * (1 - t * t);
            // 1 - x·x and 1 - x round to within a unit of 1 (not of the difference): the scales use 1.
            const double dcscale = std::fabs(gc) + std::fabs(gh * o) * (1 + t * t);
            const std::string w(where);
            bool ok = check<T>(w + " gradGates.i", u, grad_gates[r * 4 * H + j], dc * g * i * (1 - i),
                               dcscale * std::fabs(g * i));
            ok &= check<T>(w + " gradGates.f", u, grad_gates[r * 4 * H + H + j], dc * cp * f * (1 - f),
                           dcscale * std::fabs(cp * f));
            ok &= check<T>(w + " gradGates.g", u, grad_gates[r * 4 * H + 2 * H + j], dc * i * (1 - g * g),
                           dcscale * std::fabs(i) * (1 + g * g));
            ok &= check<T>(w + " gradGates.o", u, grad_gates[r * 4 * H + 3 * H + j], gh * t * o * (1 - o),
                           std::fabs(gh * t * o));
            ok &= check<T>(w + " gradC", u, grad_c[u], dc * f, dcscale * std::fabs(f));
            if (!ok) ++bad;
        }
    }
    if (!acts.guards_intact() || !cprev.guards_intact() || !grad_out.guards_intact() || !grad_h.guards_intact() ||
        !grad_gates.guards_intact() || !grad_c.guards_intact())
        fused::fail(std::string(where) + " wrote outside gradGates and gradC");
}

// lstm_unit's 64-bit path: units past 2^32 are too many to emulate, so the division is checked alone.
void unit_split() {
    ++fused::g_cases;
    const long long cases[][2] = {{0, 1}, {4294967295LL, 7}, {4294967296LL, 7}, {4294967296LL, 4294967296LL},
                                  {9000000000123LL, 100003}, {123456789, 5000000000LL}, {100002, 100003}};
    for (const auto& c : cases) {
        long long r = -1, j = -1;
        lstm_unit(c[0], c[1], r, j);
        if (r != c[0] / c[1] || j != c[0] % c[1]) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "lstm_unit(%lld, %lld) = (%lld, %lld), want (%lld, %lld)", c[0], c[1], r, j,
                          c[0] / c[1], c[0] % c[1]);
            fused::fail(buf);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::mt19937_64 rng(7);
    unit_split();
    for (int a = 1; a < argc; ++a) {
        std::vector<long long> v = fused::split_ints(argv[a]);
        if (v.size() != 4 || v[0] < 1 || v[1] < 1) {
            std::printf("FAIL bad case %s (want R:H:GRID:BLOCK, R and H >= 1)\n", argv[a]);
            return 2;
        }
        Geo c{v[0], v[1], (unsigned)v[2], (unsigned)v[3]};
        for (bool addends : {false, true}) {
            run<float>(c, addends, rng);
            run<double>(c, addends, rng);
        }
    }
    std::printf("recurrent_test: worst error / tolerance f32 %.3g, f64 %.3g\n", worst<float>(), worst<double>());
    return fused::summary("recurrent_test");
}
