// Runs reduce.cu's kernels on the CPU with the THREADED emulator (the kernels use __syncthreads
// and warp shuffles) against references written here, one line per failing case; exits 1 if any
// failed.
//
//   reduce_test BLOCK
//
// Rows of 1, 31, 255, 1000 and 100003 elements; 1 row, and 5 rows on a capped grid of 2 blocks
// (so blocks loop over rows), rows placed with an offset and a row stride larger than
// the row, and the output between sentinels that must stay intact. References: sums in F64
// (F32 within 1e-6 of Σ|x|, plus the final rounding), MAX/MIN/ARG* by the CPU backend's
// sequential rule (first extreme wins; NaN wins and stays). Also 10^7 F32 ones in one row.
// Split rows (reduce_split_*, one launch whose last block per row merges, as the host launches it
// for few long rows): the same references, rows of 1000 and 100003 cut into 3 chunks, on a grid of
// a block per chunk and on a capped one whose blocks loop over rows (so a row's merge falls to a
// block that goes on to other rows), and the ticket counters back at zero after every launch. Sums also on rows that start on 16 bytes (F32 reads them as quads).
// Columns (reduce_cols_*): the same references per (plane, column) over strided rows, with gaps
// between columns, rows and planes, partial tiles, tiles narrower than a warp, capped grids, split
// chunks, and blocks of both the given size and the host's 256. F32 sums of contiguous columns on 16
// bytes also through reduce_cols_sum_f32x4 (a quad of columns a lane), and full F32 sums through
// reduce_sum_f32, whose bits must be reduce_split_f32's.
#include "cuda_emu.h"
#include "reduce.cu"

#include <cinttypes>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

int g_failures = 0;
int g_cases = 0;
unsigned g_block = 64;

const long long SIZES[] = {1, 31, 255, 1000, 100003};
const char* OPS[] = {"SUM", "MAX", "MIN", "ARGMAX", "ARGMIN"};

void fail(const std::string& what) {
    if (++g_failures <= 40) std::printf("FAIL %s\n", what.c_str());
}

// Data kinds: random reals; small integers (many ties, for the first-index rule); reals with NaNs.
enum Kind { REAL, TIES, NANS };

template <typename T> std::vector<T> make_data(long long n, Kind kind, std::mt19937_64& rng) {
    std::vector<T> v(n);
    std::uniform_real_distribution<double> u(-1, 1);
    for (auto& x : v) {
        if (kind == TIES) {
            x = (T)(long long)(rng() % 5);
        } else {
            x = (T)(u(rng) * 100);
        }
        if (kind == NANS && rng() % 97 == 0) x = std::numeric_limits<T>::quiet_NaN();
    }
    return v;
}

template <typename T> auto reduce_rows_entry();
template <> auto reduce_rows_entry<float>() { return reduce_f32; }
template <> auto reduce_rows_entry<double>() { return reduce_f64; }
template <> auto reduce_rows_entry<long long>() { return reduce_i64; }
template <typename T> auto reduce_split_entry();
template <> auto reduce_split_entry<float>() { return reduce_split_f32; }
template <> auto reduce_split_entry<double>() { return reduce_split_f64; }
template <> auto reduce_split_entry<long long>() { return reduce_split_i64; }
// The host's ticket counters (ReduceLaunches.MAX_SPLIT_ROWS of them): zeroed once, shared by every
// split launch here as by every launch on a device; each launch must leave them at zero.
std::vector<unsigned> g_tickets(512, 0);

// Every ticket back at zero after a launch that took some, as the next launch on the device needs.
void check_tickets(const std::string& launch) {
    for (std::size_t t = 0; t < g_tickets.size(); ++t)
        if (g_tickets[t] != 0) fail(launch + " left ticket " + std::to_string(t) + " at " + std::to_string(g_tickets[t]));
}

// The host's one launch for split rows: chunks of `chunk` elements, each row merged by its last
// block; the slots start as garbage, as a reused cache block would.
template <typename X>
void launch_split(unsigned grid, int op, const X* x, long long off, long long stride, long long inner, long long chunk,
                  void* out, long long out_off, long long rows,
                  void (*split)(int, const X*, i64, i64, i64, i64, i64, void*, i64*, unsigned*, void*, i64, i64)) {
    long long splits = (inner + chunk - 1) / chunk;
    std::vector<unsigned long long> part(2 * rows * splits, 0x7ff4dead7ff4deadULL);
    long long* idx = (long long*)(part.data() + rows * splits);
    emu_launch(dim3(grid), dim3(g_block), split, op, x, off, stride, inner, chunk, splits, (void*)part.data(), idx,
               g_tickets.data(), out, out_off, rows);
    check_tickets("split launch");
}

bool is_nan(double v) { return v != v; }

// dev.fathom.cpu.ReduceKernels.better
bool better(int op, double v, double best) {
    if (is_nan(best)) return false;
    if (is_nan(v)) return true;
    return op == R_MAX || op == R_ARGMAX ? v > best : v < best;
}

// One reduced result against the reference over value(0), ..., value(n - 1): a sum in F64 (F32
// within 1e-6 of the magnitudes' sum plus the final rounding), MAX/MIN the extreme by the CPU
// backend's sequential rule, ARG* its index. got_t is the T output, got_l the I64 one (ARG*).
template <typename T, typename V>
void check_result(const std::string& where, int op, long long n, V value, T got_t, long long got_l) {
    if (op == R_SUM) {
        double ref = 0, mag = 0;
        for (long long j = 0; j < n; ++j) {
            ref += value(j);
            mag += std::fabs(value(j));
        }
        double tol = sizeof(T) == 4 ? 1e-6 * mag + std::fabs(ref) * 6e-8 : 1e-13 * mag;
        if (!(std::fabs((double)got_t - ref) <= tol))
            fail(where + ": got " + std::to_string((double)got_t) + " want " + std::to_string(ref));
        return;
    }
    double best = std::numeric_limits<double>::quiet_NaN();
    long long bi = -1;
    for (long long j = 0; j < n; ++j) {
        if (bi < 0 || better(op, value(j), best)) {
            best = value(j);
            bi = j;
        }
    }
    if (op == R_ARGMAX || op == R_ARGMIN) {
        if (got_l != bi) fail(where + ": got index " + std::to_string(got_l) + " want " + std::to_string(bi));
    } else if (!((double)got_t == best || (is_nan((double)got_t) && is_nan(best)))) {
        fail(where + ": got " + std::to_string((double)got_t) + " want " + std::to_string(best));
    }
}

template <typename T> void run_case(const char* tname, int op, long long inner, int rows, unsigned grid, Kind kind,
                                    std::mt19937_64& rng, long long chunk = 0, bool aligned = false) {
    ++g_cases;
    // A gap between rows the kernel must not read as data. Offset 3 puts no row on 16 bytes;
    // `aligned` puts every row there (F32 sums then read quads and a tail of inner % 4).
    const long long off = aligned ? 4 : 3, stride = aligned ? (inner + 2 + 3) / 4 * 4 : inner + 2;
    std::vector<T> x(off + rows * stride, (T)0);
    std::vector<T> gap_data = make_data<T>(off + rows * stride, kind, rng);
    x = gap_data;
    std::vector<T> data = make_data<T>((long long)rows * inner, kind, rng);
    for (int r = 0; r < rows; ++r)
        for (long long j = 0; j < inner; ++j) x[off + r * stride + j] = data[r * inner + j];
    bool arg = op == R_ARGMAX || op == R_ARGMIN;
    const long long out_off = 2;
    std::vector<T> out_t(rows + 4, (T)-7);
    std::vector<long long> out_l(rows + 4, -7);
    void* out = arg ? (void*)out_l.data() : (void*)out_t.data();
    if (chunk == 0) {
        emu_launch(dim3(grid), dim3(g_block), reduce_rows_entry<T>(), op, (const T*)x.data(), off, stride, inner, out,
                   out_off, (long long)rows);
    } else {
        launch_split(grid, op, (const T*)x.data(), off, stride, inner, chunk, out, out_off, (long long)rows,
                     reduce_split_entry<T>());
    }
    char where[200];
    for (int r = 0; r < rows; ++r) {
        const T* row = data.data() + (long long)r * inner;
        std::snprintf(where, sizeof where, "reduce_%s %s inner=%lld rows=%d grid=%u chunk=%lld kind=%d aligned=%d row=%d",
                      tname, OPS[op], inner, rows, grid, chunk, (int)kind, (int)aligned, r);
        check_result<T>(where, op, inner, [&](long long j) { return (double)row[j]; }, out_t[out_off + r], out_l[out_off + r]);
    }
    for (int k : {0, 1, rows + 2, rows + 3}) {
        if ((arg ? out_l[k] != -7 : out_t[k] != (T)-7)) fail(std::string(where) + ": wrote outside the output rows");
    }
}

template <typename T> void run_dtype(const char* tname, std::mt19937_64& rng) {
    for (long long inner : SIZES) {
        // (rows, grid): a block per row, and a capped grid whose blocks loop over rows. Few rows:
        // each row-block costs ~10 ms of std::thread barriers in the emulator.
        const int configs[][2] = {{1, 1}, {5, 2}};
        for (const auto& c : configs) {
            int rows = c[0];
            unsigned grid = (unsigned)c[1];
            {
                for (int op = R_SUM; op <= R_ARGMIN; ++op) {
                    run_case<T>(tname, op, inner, rows, grid, TIES, rng);
                    if (!std::is_integral<T>::value) {
                        run_case<T>(tname, op, inner, rows, grid, op == R_SUM ? REAL : NANS, rng);
                    }
                }
                run_case<T>(tname, R_SUM, inner, rows, grid, REAL, rng, 0, true);
            }
        }
    }
    // Split rows: 3 chunks each; (rows, grid) = a block per chunk, and a capped grid that loops.
    const long long split_rows[][3] = {{1000, 5, 2}, {100003, 1, 3}};
    for (const auto& c : split_rows) {
        long long inner = c[0], chunk = inner / 3 + 1;
        for (int op = R_SUM; op <= R_ARGMIN; ++op) {
            run_case<T>(tname, op, inner, (int)c[1], (unsigned)c[2], TIES, rng, chunk);
            if (!std::is_integral<T>::value) {
                run_case<T>(tname, op, inner, (int)c[1], (unsigned)c[2], op == R_SUM ? REAL : NANS, rng, chunk);
            }
        }
        // Aligned rows in chunks of a multiple of 4, as ReduceLaunches cuts them: every chunk on 16 bytes.
        run_case<T>(tname, R_SUM, inner, (int)c[1], (unsigned)c[2], REAL, rng, (chunk + 3) / 4 * 4, true);
    }
}

// Every result (a, c) of a column reduction over rows r of value(a, r, c) against check_result:
// out_t[a·cols + c] (T), or out_l there for ARG* (I64).
template <typename T, typename V>
void check_columns(const std::string& what, int op, long long outer, long long rows, long long cols, V value, const T* out_t,
                   const long long* out_l) {
    for (long long a = 0; a < outer; ++a) {
        for (long long c = 0; c < cols; ++c) {
            const long long o = a * cols + c;
            check_result<T>(what + " a=" + std::to_string(a) + " c=" + std::to_string(c), op, rows,
                            [&](long long r) { return value(a, r, c); }, out_t[o], out_l == nullptr ? 0 : out_l[o]);
        }
    }
}

template <typename T> auto reduce_cols_entry();
template <> auto reduce_cols_entry<float>() { return reduce_cols_f32; }
template <> auto reduce_cols_entry<double>() { return reduce_cols_f64; }
template <> auto reduce_cols_entry<long long>() { return reduce_cols_i64; }

// Columns: element (a, r, c) of x at off + a·outer_stride + r·row_stride + c·col_stride, with gaps
// between columns (col_stride 2), rows and planes that hold data the kernel must not read; the
// result of (a, c) at out[2 + a·cols + c] between sentinels. chunk = 0: no split (no slots, no
// tickets: they are null); else the rows are cut into chunks of `chunk` and the slots start as garbage.
template <typename T> void cols_case(const char* tname, int op, long long outer, long long rows, long long cols,
                                     long long col_stride, unsigned grid, unsigned block, long long chunk, Kind kind,
                                     std::mt19937_64& rng) {
    ++g_cases;
    const long long off = 3, row_stride = cols * col_stride + 1, outer_stride = rows * row_stride + 5;
    std::vector<T> x = make_data<T>(off + outer * outer_stride, kind, rng);
    bool arg = op == R_ARGMAX || op == R_ARGMIN;
    const long long out_off = 2, n = outer * cols;
    std::vector<T> out_t(n + 4, (T)-7);
    std::vector<long long> out_l(n + 4, -7);
    void* out = arg ? (void*)out_l.data() : (void*)out_t.data();
    long long splits = chunk == 0 ? 1 : (rows + chunk - 1) / chunk;
    long long slots = outer * ((cols + 31) / 32) * splits * 32;
    std::vector<unsigned long long> part(chunk == 0 ? 0 : 2 * slots, 0x7ff4dead7ff4deadULL);
    void* part_val = chunk == 0 ? nullptr : (void*)part.data();
    long long* part_idx = chunk == 0 ? nullptr : (long long*)(part.data() + slots);
    emu_launch(dim3(grid), dim3(block), reduce_cols_entry<T>(), op, (const T*)x.data(), off, outer_stride, row_stride,
               col_stride, outer, rows, cols, chunk == 0 ? rows : chunk, splits, part_val, part_idx,
               chunk == 0 ? nullptr : g_tickets.data(), out, out_off);
    check_tickets("cols launch");
    char where[240];
    std::snprintf(where, sizeof where,
                  "reduce_cols_%s %s outer=%lld rows=%lld cols=%lld col_stride=%lld grid=%u block=%u chunk=%lld kind=%d", tname,
                  OPS[op], outer, rows, cols, col_stride, grid, block, chunk, (int)kind);
    check_columns<T>(where, op, outer, rows, cols,
                     [&](long long a, long long r, long long c) { return (double)x[off + a * outer_stride + r * row_stride + c * col_stride]; },
                     out_t.data() + out_off, out_l.data() + out_off);
    for (long long k : {0LL, 1LL, n + 2, n + 3}) {
        if ((arg ? out_l[k] != -7 : out_t[k] != (T)-7)) fail(std::string(where) + ": wrote outside the output");
    }
}

template <typename T> void cols_dtype(const char* tname, std::mt19937_64& rng) {
    // (outer, rows, cols, col_stride, grid, chunk): one tile of one column, a partial second tile,
    // three planes on a capped grid (blocks loop over tiles), and split chunks, one block each and on a
    // capped grid (a tile's merge falls to a block that goes on to other tiles).
    // Tiles narrower than 32 (1, 2, 4 and 8 columns: several rows per warp) among them.
    const long long shapes[][6] = {{1, 1, 1, 1, 1, 0},       {1, 1000, 1, 1, 1, 0},   {1, 37, 45, 1, 2, 0},
                                   {3, 129, 33, 2, 2, 0},     {2, 700, 5, 1, 3, 0},    {2, 1000, 40, 1, 12, 300},
                                   {1, 5000, 3, 2, 2, 1667}, {1, 3000, 2, 1, 4, 400}};
    for (const auto& sh : shapes) {
        for (unsigned block : {g_block, 256u}) {
            for (int op = R_SUM; op <= R_ARGMIN; ++op) {
                cols_case<T>(tname, op, sh[0], sh[1], sh[2], sh[3], (unsigned)sh[4], block, sh[5], TIES, rng);
                if (!std::is_integral<T>::value)
                    cols_case<T>(tname, op, sh[0], sh[1], sh[2], sh[3], (unsigned)sh[4], block, sh[5],
                                 op == R_SUM ? REAL : NANS, rng);
            }
        }
    }
}

// F32 column sums four columns a lane (reduce_cols_sum_f32x4), as the host launches them for
// contiguous columns, a multiple of 4 wide, on 16 bytes: gaps of 4 between rows and 8 between planes
// that hold data the kernel must not read, tiles of 1 quad (several rows per warp) to 32, a partial
// last tile, capped grids, and split chunks (slots garbage at first) merged by each tile's last block.
// A walker's rows end after its two-group trips in one to three single rows or a group of four and
// those (118 rows: 14 and 15 rows for 8 walkers, 59 for 2; chunks of 171: 21 and 22, 85 and 86).
void cols_quads(std::mt19937_64& rng) {
    // (outer, rows, cols, grid, chunk)
    const long long shapes[][5] = {{1, 1, 4, 1, 0},      {1, 1000, 4, 1, 0},      {1, 37, 132, 2, 0}, {3, 129, 64, 2, 0},
                                   {2, 1000, 160, 12, 300}, {1, 3000, 8, 4, 400}, {1, 700, 1024, 16, 130},
                                   {1, 118, 128, 2, 0},   {2, 1000, 256, 16, 171}};
    for (const auto& sh : shapes) {
        const long long outer = sh[0], rows = sh[1], cols = sh[2], chunk = sh[4];
        const unsigned grid = (unsigned)sh[3];
        const long long row_stride = cols + 4, outer_stride = rows * row_stride + 8;
        for (unsigned block : {g_block, 256u}) {
            for (Kind kind : {REAL, TIES}) {
                ++g_cases;
                std::vector<float> buf = make_data<float>(outer * outer_stride + 8, kind, rng);
                // x on 16 bytes (element 0 of the first row of the first plane), then 4 more floats in.
                long long base = (long long)((16 - reinterpret_cast<std::uintptr_t>(buf.data()) % 16) % 16 / 4) + 4;
                if (base + outer * outer_stride > (long long)buf.size()) buf.resize(base + outer * outer_stride);
                const float* x = buf.data() + base;
                const long long n = outer * cols;
                std::vector<float> out(n + 4, -7.0f);
                long long splits = chunk == 0 ? 1 : (rows + chunk - 1) / chunk;
                long long quads = cols / 4, width = 1;
                while (width < 32 && width < quads) width <<= 1;
                long long tiles = outer * ((quads + width - 1) / width);
                std::vector<double> slots(chunk == 0 ? 0 : tiles * splits * 128, -1e300);
                emu_launch(dim3(grid), dim3(block), reduce_cols_sum_f32x4, x, outer_stride, row_stride, outer, rows, cols,
                           chunk == 0 ? rows : chunk, splits, chunk == 0 ? nullptr : slots.data(),
                           chunk == 0 ? nullptr : g_tickets.data(), out.data() + 2);
                check_tickets("cols quads launch");
                char where[200];
                std::snprintf(where, sizeof where, "reduce_cols_sum_f32x4 outer=%lld rows=%lld cols=%lld grid=%u block=%u chunk=%lld kind=%d",
                              outer, rows, cols, grid, block, chunk, (int)kind);
                check_columns<float>(where, R_SUM, outer, rows, cols,
                                     [&](long long a, long long r, long long c) { return (double)x[a * outer_stride + r * row_stride + c]; },
                                     out.data() + 2, nullptr);
                for (long long k : {0LL, 1LL, n + 2, n + 3})
                    if (out[k] != -7.0f) fail(std::string(where) + ": wrote outside the output");
            }
        }
    }
}

// A full F32 sum through reduce_sum_f32 (one aligned row in chunks of a multiple of 4, a block each,
// as ReduceLaunches launches it): the F64 reference, and the bits of reduce_split_f32 on the same
// chunks, whose SUM path it copies; the ticket back at zero.
void full_sums(std::mt19937_64& rng) {
    for (long long n : {5LL, 1000LL, 100003LL}) {
        for (long long splits_wanted : {1LL, 3LL, 7LL}) {
            ++g_cases;
            std::vector<fm_f4> storage((n + 3) / 4);  // 16-byte aligned
            float* x = reinterpret_cast<float*>(storage.data());
            std::vector<float> data = make_data<float>(n, REAL, rng);
            std::copy(data.begin(), data.end(), x);
            long long chunk = ((n + splits_wanted - 1) / splits_wanted + 3) / 4 * 4;
            long long splits = (n + chunk - 1) / chunk;
            std::vector<double> slots(splits, -1e300);
            float got = -7, split = -9;
            emu_launch(dim3((unsigned)splits), dim3(g_block), reduce_sum_f32, (const float*)x, n, chunk, splits, slots.data(),
                       g_tickets.data(), &got);
            check_tickets("reduce_sum_f32");
            launch_split((unsigned)splits, (int)R_SUM, (const float*)x, 0LL, n, n, chunk, (void*)&split, 0LL, 1LL, reduce_split_f32);
            char where[120];
            std::snprintf(where, sizeof where, "reduce_sum_f32 n=%lld splits=%lld", n, splits);
            check_result<float>(where, R_SUM, n, [&](long long j) { return (double)x[j]; }, got, 0);
            if (std::memcmp(&got, &split, 4) != 0)
                fail(std::string(where) + ": " + std::to_string(got) + " where reduce_split_f32 gave " + std::to_string(split));
        }
    }
    ++g_cases;
    const long long n = 10000000;
    std::vector<fm_f4> ones(n / 4, fm_f4{1, 1, 1, 1});
    std::vector<double> slots(4);
    float got = -1;
    emu_launch(dim3(4), dim3(g_block), reduce_sum_f32, (const float*)ones.data(), n, n / 4, 4LL, slots.data(), g_tickets.data(), &got);
    if (got != 1e7f) fail("reduce_sum_f32 SUM of 10^7 ones in 4 chunks: got " + std::to_string(got));
}

// BOOL counts over columns, split and not.
void cols_u8(std::mt19937_64& rng) {
    const long long rows = 3001, cols = 35;
    std::vector<unsigned char> b(rows * cols);
    for (auto& v : b) v = rng() % 3 == 0 ? (unsigned char)(1 + rng() % 200) : 0;
    for (long long chunk : {0LL, 1000LL}) {
        ++g_cases;
        long long splits = chunk == 0 ? 1 : (rows + chunk - 1) / chunk, slots = 2 * splits * 32;
        std::vector<unsigned long long> part(2 * slots, 0x7ff4dead7ff4deadULL);
        std::vector<long long> cnt(cols, -1);
        emu_launch(dim3(3), dim3(g_block), reduce_cols_u8, (int)R_SUM, (const unsigned char*)b.data(), 0LL, 0LL, cols,
                   1LL, 1LL, rows, cols, chunk == 0 ? rows : chunk, splits, (void*)part.data(),
                   (long long*)(part.data() + slots), g_tickets.data(), (void*)cnt.data(), 0LL);
        for (long long c = 0; c < cols; ++c) {
            long long ref = 0;
            for (long long r = 0; r < rows; ++r) ref += b[r * cols + c] != 0;
            if (cnt[c] != ref)
                fail("reduce_cols_u8 SUM chunk=" + std::to_string(chunk) + " c=" + std::to_string(c) + ": got " +
                     std::to_string(cnt[c]) + " want " + std::to_string(ref));
        }
    }
}

// 10^7 F32 ones in one row must sum to exactly 1e7 (a naive F32 accumulator stops at 2^24 ≈ 1.7e7
// only per thread, but loses low bits long before; the F32 runs are carried in F64).
void ten_million_ones() {
    ++g_cases;
    const long long n = 10000000;
    std::vector<float> x(n, 1.0f);
    float out = -1;
    emu_launch(dim3(1), dim3(g_block), reduce_f32, (int)R_SUM, (const float*)x.data(), 0LL, n, n, (void*)&out, 0LL, 1LL);
    if (out != 1e7f) fail("reduce_f32 SUM of 10^7 ones: got " + std::to_string(out));
    // Also: 10^7 copies of 0.1f against the F64 sum of the same floats.
    ++g_cases;
    std::fill(x.begin(), x.end(), 0.1f);
    emu_launch(dim3(1), dim3(g_block), reduce_f32, (int)R_SUM, (const float*)x.data(), 0LL, n, n, (void*)&out, 0LL, 1LL);
    double ref = (double)0.1f * n;
    if (!(std::fabs(out - ref) <= 1e-6 * ref)) fail("reduce_f32 SUM of 10^7 0.1f: got " + std::to_string(out));
    // The same ones cut into 4 chunks (split rows carry each chunk's sum in F64): still exactly 1e7.
    ++g_cases;
    std::fill(x.begin(), x.end(), 1.0f);
    launch_split(4, (int)R_SUM, (const float*)x.data(), 0LL, n, n, n / 4, (void*)&out, 0LL, 1LL, reduce_split_f32);
    if (out != 1e7f) fail("reduce_split_f32 SUM of 10^7 ones in 4 chunks: got " + std::to_string(out));
}

// Infinities: a sum with +inf is +inf (Kahan's compensation (t - run) - y is inf - inf = NaN there
// and must not leak into the result); +inf and -inf together, or a NaN, give NaN. At a row length
// over the block and over FATHOM_F32_RUN per thread, so every path sees the infinity.
void infinities() {
    const float inf = std::numeric_limits<float>::infinity();
    for (long long inner : {3LL, 1000LL, 300000LL}) {
        std::vector<float> x(3 * inner, 0.5f);
        x[inner / 2] = inf;                                   // row 0: +inf
        x[inner + 1] = -inf;                                  // row 1: -inf
        x[2 * inner] = inf;                                   // row 2: +inf and -inf: NaN
        x[3 * inner - 1] = -inf;
        float out[3] = {0, 0, 0};
        emu_launch(dim3(2), dim3(g_block), reduce_f32, (int)R_SUM, (const float*)x.data(), 0LL, inner, inner,
                   (void*)out, 0LL, 3LL);
        g_cases += 3;
        if (out[0] != inf) fail("reduce_f32 SUM with +inf, inner=" + std::to_string(inner) + ": got " + std::to_string(out[0]));
        if (out[1] != -inf) fail("reduce_f32 SUM with -inf, inner=" + std::to_string(inner) + ": got " + std::to_string(out[1]));
        if (!is_nan(out[2])) fail("reduce_f32 SUM of +inf and -inf, inner=" + std::to_string(inner) + ": got " + std::to_string(out[2]));
    }
}

// I64 sums wrap like Java's long; BOOL counts.
void integers(std::mt19937_64& rng) {
    ++g_cases;
    std::vector<long long> x = {INT64_MAX, 1, 5};
    long long out = 0;
    emu_launch(dim3(1), dim3(g_block), reduce_i64, (int)R_SUM, (const long long*)x.data(), 0LL, 3LL, 3LL, (void*)&out,
               0LL, 1LL);
    if (out != INT64_MIN + 5) fail("reduce_i64 SUM does not wrap: got " + std::to_string(out));
    for (long long inner : SIZES) {
        ++g_cases;
        int rows = 3;
        std::vector<unsigned char> b(rows * inner);
        for (auto& v : b) v = rng() % 3 == 0 ? (unsigned char)(1 + rng() % 200) : 0;
        std::vector<long long> cnt(rows, -1);
        emu_launch(dim3(2), dim3(g_block), reduce_u8, (int)R_SUM, (const unsigned char*)b.data(), 0LL, inner, inner,
                   (void*)cnt.data(), 0LL, (long long)rows);
        for (int r = 0; r < rows; ++r) {
            long long ref = 0;
            for (long long j = 0; j < inner; ++j) ref += b[r * inner + j] != 0;
            if (cnt[r] != ref)
                fail("reduce_u8 SUM inner=" + std::to_string(inner) + ": got " + std::to_string(cnt[r]) + " want " +
                     std::to_string(ref));
        }
        if (inner < 1000) continue;
        ++g_cases;
        std::vector<long long> split_cnt(rows, -1);
        launch_split(2, (int)R_SUM, (const unsigned char*)b.data(), 0LL, inner, inner, inner / 3 + 1,
                     (void*)split_cnt.data(), 0LL, (long long)rows, reduce_split_u8);
        for (int r = 0; r < rows; ++r)
            if (split_cnt[r] != cnt[r])
                fail("reduce_split_u8 SUM inner=" + std::to_string(inner) + ": got " + std::to_string(split_cnt[r]) +
                     " want " + std::to_string(cnt[r]));
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1) g_block = (unsigned)std::stoul(argv[1]);
    std::mt19937_64 rng(42);
    run_dtype<float>("f32", rng);
    run_dtype<double>("f64", rng);
    run_dtype<long long>("i64", rng);
    cols_dtype<float>("f32", rng);
    cols_dtype<double>("f64", rng);
    cols_dtype<long long>("i64", rng);
    cols_u8(rng);
    cols_quads(rng);
    full_sums(rng);
    ten_million_ones();
    infinities();
    integers(rng);
    std::printf("reduce_test: block %u, %d cases, %d failed\n", g_block, g_cases, g_failures);
    return g_failures == 0 ? 0 : 1;
}
