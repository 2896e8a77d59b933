package dev.fathom.cuda;

import dev.fathom.spi.Buffer;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code recurrent.cu} (the fused LSTM cell) compiled with g++ against {@code src/test/cuda/cuda_emu.h}
 * and run by {@code recurrent_test.cpp}, which compares forward and backward with F64 references,
 * F32 and F64, with the geometry {@link CudaRecurrent} launches ({@link LaunchGeometry#forElements}
 * of R·H): R·H of 1, 31, 1000 and about 100 000 (none a multiple of the block), rows of one unit
 * and single rows, and capped grids so that threads loop. Then the whole path: {@link CudaKernels}
 * on the {@link EmulatedDriver}, with operands as views at offsets inside larger buffers, against a
 * Java F64 reference, so a wrong argument or offset on the host shows as a wrong number. Skipped,
 * with the reason, where there is no g++.
 */
class RecurrentKernelEmulationTest {

    private static final int GRID = LaunchGeometry.MAX_GRID;

    @Test
    void lstmCellKernelsMatchTheF64Reference(@TempDir Path tmp) throws Exception {
        long[][] cases = {
            // R, H, maxGrid
            {1, 1, GRID},
            {1, 31, GRID},       // one row under a warp
            {31, 1, GRID},       // rows of one unit
            {8, 125, GRID},      // 1000 units: 4 blocks, the last one partly idle
            {40, 25, 1},         // one block loops over 1000 units
            {1, 100_003, GRID},  // one long row
            {100_003, 1, GRID},
            {97, 1031, 7},       // 100 007 units on 7 blocks: rows straddle threads and trips
            {3, 333, 2},
        };
        List<String> cmd = new ArrayList<>(List.of(Emulator.compile("recurrent_test", tmp).toString()));
        for (long[] c : cases) {
            LaunchGeometry g = LaunchGeometry.forElements(c[0] * c[1], (int) c[2]);
            cmd.add(c[0] + ":" + c[1] + ":" + g.grid() + ":" + g.block());
        }
        String out = Emulator.run(cmd, "recurrent_test", 240);
        // Per case, dtype and with or without the optional addends a forward and a backward, plus the 64-bit unit split.
        assertTrue(out.contains("recurrent_test: " + (1 + cases.length * 2 * 2 * 2) + " cases, 0 failed"), out);
    }

    /** The committed PTX has every entry {@link CudaRecurrent} looks up. */
    @Test
    void committedPtxHasEveryRecurrentEntry() throws IOException {
        Set<String> want = new TreeSet<>();
        for (String t : List.of("f32", "f64")) {
            want.add("lstm_cell_" + t);
            want.add("lstm_cell_backward_" + t);
        }
        assertEquals(want, Emulator.ptxEntries("recurrent"));
    }

    @Test
    void cudaKernelsRunTheCellOnTheEmulatedDriver() throws Exception {
        String reason = Emulator.driverUnavailableReason();
        assumeTrue(reason == null, reason);
        try (CudaKernels k = CudaKernels.open(new EmulatedDriver(Emulator.driverModules(), 64L << 20), 0)) {
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                roundTrip(k, dt);
            }
        }
    }

    private static final double SENTINEL = -777;

    /**
     * c [2, 3, 5] (R = 6, H = 5), each operand 3 elements into a buffer 3 longer on both sides; with
     * both optional addends (inputGates, gradH), which the kernels add in the dtype.
     */
    private static void roundTrip(CudaKernels k, DType dt) {
        int r = 6, h = 5, n = r * h;
        Random rng = new Random(dt == DType.F32 ? 11 : 12);
        double[] z = new double[4 * n], x = new double[4 * n], cPrev = new double[n], gradOut = new double[2 * n],
                gradH = new double[n];
        for (int i = 0; i < z.length; i++) {
            z[i] = round(dt, rng.nextDouble() * 8 - 4);
            x[i] = round(dt, rng.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < n; i++) {
            gradH[i] = round(dt, rng.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < n; i++) {
            cPrev[i] = round(dt, rng.nextDouble() * 4 - 2);
        }
        for (int i = 0; i < 2 * n; i++) {
            gradOut[i] = round(dt, rng.nextDouble() * 2 - 1);
        }
        Strided gates = operand(k, dt, z, 2, 3, 4 * h), inputGates = operand(k, dt, x, 2, 3, 4 * h), c = operand(k, dt, cPrev, 2, 3, h);
        Strided out = operand(k, dt, new double[2 * n], 2, 2, 3, h), acts = operand(k, dt, new double[5 * n], 2, 3, 5 * h);
        k.lstmCell(gates, inputGates, c, out, acts);
        double[] gotOut = read(k, out), gotActs = read(k, acts);

        double[] wantOut = new double[2 * n], wantActs = new double[5 * n];
        for (int row = 0; row < r; row++) {
            for (int j = 0; j < h; j++) {
                int u = row * h + j, g0 = row * 4 * h + j, a0 = row * 5 * h + j;
                double i = sigmoid(round(dt, z[g0] + x[g0])), f = sigmoid(round(dt, z[g0 + h] + x[g0 + h]));
                double g = Math.tanh(round(dt, z[g0 + 2 * h] + x[g0 + 2 * h])), o = sigmoid(round(dt, z[g0 + 3 * h] + x[g0 + 3 * h]));
                double cn = f * cPrev[u] + i * g, t = Math.tanh(cn);
                wantOut[u] = o * t;
                wantOut[n + u] = cn;
                double[] a = {i, f, g, o, t};
                for (int q = 0; q < 5; q++) {
                    wantActs[a0 + q * h] = a[q];
                }
            }
        }
        assertClose(dt, "lstmCell out", wantOut, gotOut);
        assertClose(dt, "lstmCell acts", wantActs, gotActs);

        Strided gOut = operand(k, dt, gradOut, 2, 2, 3, h), gH = operand(k, dt, gradH, 2, 3, h);
        Strided gGates = operand(k, dt, new double[4 * n], 2, 3, 4 * h), gC = operand(k, dt, new double[n], 2, 3, h);
        k.lstmCellBackward(acts, c, gOut, gH, gGates, gC);
        double[] wantGates = new double[4 * n], wantC = new double[n];
        for (int row = 0; row < r; row++) {
            for (int j = 0; j < h; j++) {
                int u = row * h + j, g0 = row * 4 * h + j, a0 = row * 5 * h + j;
                double i = gotActs[a0], f = gotActs[a0 + h], g = gotActs[a0 + 2 * h], o = gotActs[a0 + 3 * h], t = gotActs[a0 + 4 * h];
                double gh = round(dt, gradOut[u] + gradH[u]), dc = gradOut[n + u] + gh * o * (1 - t * t);
                wantGates[g0] = dc * g * i * (1 - i);
                wantGates[g0 + h] = dc * cPrev[u] * f * (1 - f);
                wantGates[g0 + 2 * h] = dc * i * (1 - g * g);
                wantGates[g0 + 3 * h] = gh * t * o * (1 - o);
                wantC[u] = dc * f;
            }
        }
        assertClose(dt, "lstmCellBackward gradGates", wantGates, read(k, gGates));
        assertClose(dt, "lstmCellBackward gradC", wantC, read(k, gC));
        for (Strided s : new Strided[] {gates, inputGates, c, out, acts, gOut, gH, gGates, gC}) {
            double[] all = download(k, s.buffer(), (int) s.buffer().capacity());
            for (int i = 0; i < all.length; i++) {
                if (i < s.offset() || i >= s.offset() + s.numel()) {
                    assertEquals(SENTINEL, all[i], dt + ": element " + i + " outside the operand at " + s.offset() + " changed");
                }
            }
        }
    }

    private static Strided operand(CudaKernels k, DType dt, double[] values, int... shape) {
        int pad = 3;
        double[] host = new double[values.length + 2 * pad];
        java.util.Arrays.fill(host, SENTINEL);
        System.arraycopy(values, 0, host, pad, values.length);
        Buffer b = k.allocate(dt, host.length);
        if (dt == DType.F32) {
            float[] f = new float[host.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) host[i];
            }
            k.upload(f, 0, b, 0, f.length);
        } else {
            k.upload(host, 0, b, 0, host.length);
        }
        return new Strided(b, shape, Strided.contiguousStrides(shape), pad);
    }

    private static double[] read(CudaKernels k, Strided s) {
        double[] all = download(k, s.buffer(), (int) s.buffer().capacity());
        return java.util.Arrays.copyOfRange(all, (int) s.offset(), (int) (s.offset() + s.numel()));
    }

    private static double[] download(CudaKernels k, Buffer b, int n) {
        double[] out = new double[n];
        if (b.dtype() == DType.F32) {
            float[] f = new float[n];
            k.download(b, 0, f, 0, n);
            for (int i = 0; i < n; i++) {
                out[i] = f[i];
            }
        } else {
            k.download(b, 0, out, 0, n);
        }
        return out;
    }

    private static double round(DType dt, double v) {
        return dt == DType.F32 ? (float) v : v;
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /**
     * Within a few units of the dtype's precision of values of order 1 (every input here is in
     * [-4, 4]): what this checks is the plumbing, which gets wrong numbers, not rounding, when an
     * offset or argument is off; {@code recurrent_test} holds the rounding to tight tolerances.
     */
    private static void assertClose(DType dt, String what, double[] want, double[] got) {
        double rtol = dt == DType.F32 ? 1e-6 : 1e-14;
        for (int i = 0; i < want.length; i++) {
            double tol = 8 * rtol * (1 + Math.abs(want[i]));
            assertTrue(Math.abs(got[i] - want[i]) <= tol, dt + " " + what + "[" + i + "]: got " + got[i] + ", want " + want[i]);
        }
    }
}
