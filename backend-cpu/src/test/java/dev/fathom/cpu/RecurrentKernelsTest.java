package dev.fathom.cpu;

import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RecurrentKernels}: the LSTM cell forward against the definition in F64, its backward
 * against central differences of that definition, at widths that are under a vector, whole
 * vectors and vectors plus a tail, with offsets and rows enough to be split over the pool. The
 * tensor-level LSTM on it is the conformance suite's (RecurrentTest: the F64 step-by-step
 * reference, gradchecks through time, gradgradcheck on the composite backward).
 */
class RecurrentKernelsTest {

    /** Operands at an offset, the rest of the buffer NaN so that a stray read or write shows. */
    private static Strided operand(DType t, int offset, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        CpuBuffer b = CpuBuffer.allocate(t, offset + n);
        if (b.f != null) {
            java.util.Arrays.fill(b.f, Float.NaN);
        } else {
            java.util.Arrays.fill(b.d, Double.NaN);
        }
        Strided s = Strided.contiguous(b, shape);
        return new Strided(b, shape, s.strides(), offset);
    }

    private static void fill(Strided s, SplittableRandom r, double scale) {
        CpuBuffer b = CpuBuffer.of(s.buffer());
        for (int i = 0; i < s.numel(); i++) {
            FusedOperands.set(b, (int) s.offset() + i, (r.nextDouble() * 2 - 1) * scale);
        }
    }

    private static double at(Strided s, int i) {
        return FusedOperands.get(CpuBuffer.of(s.buffer()), (int) s.offset() + i);
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** {h', c'} of unit j in row r, from F64 copies of the gates and c. */
    private static double[] reference(double[] z, double[] c, int r, int j, int h) {
        double i = sigmoid(z[4 * r * h + j]), f = sigmoid(z[4 * r * h + h + j]);
        double g = Math.tanh(z[4 * r * h + 2 * h + j]), o = sigmoid(z[4 * r * h + 3 * h + j]);
        double cn = f * c[r * h + j] + i * g;
        return new double[] {o * Math.tanh(cn), cn};
    }

    private static double[] values(Strided s) {
        double[] v = new double[(int) s.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = at(s, i);
        }
        return v;
    }

    @ParameterizedTest(name = "{0} rows {1} units {2}")
    @CsvSource({
        "1, 1, F32", "3, 7, F32", "5, 16, F32", "4, 37, F32", "3, 64, F32", "200, 41, F32",
        "1, 1, F64", "3, 37, F64", "200, 9, F64"})
    void forwardMatchesTheDefinitionAndBackwardItsDifferences(int rows, int h, DType t) {
        SplittableRandom rnd = new SplittableRandom(rows * 131L + h);
        Strided gates = operand(t, 3, rows, 4 * h), c = operand(t, 5, rows, h);
        Strided out = operand(t, 2, 2, rows, h), acts = operand(t, 1, rows, 5 * h);
        fill(gates, rnd, 3);
        fill(c, rnd, 2);
        RecurrentKernels.lstmCell(gates, null, c, out, acts);
        double[] z = values(gates), cp = values(c);
        double tol = t == DType.F32 ? 2e-6 : 1e-14;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < h; j++) {
                double[] want = reference(z, cp, r, j, h);
                assertEquals(want[0], at(out, r * h + j), tol, "h' [" + r + ", " + j + "]");
                assertEquals(want[1], at(out, rows * h + r * h + j), tol * 4, "c' [" + r + ", " + j + "]");
                assertEquals(Math.tanh(want[1]), at(acts, 5 * r * h + 4 * h + j), tol, "tanh c' [" + r + ", " + j + "]");
            }
        }

        // Backward of L = Σ wh·h' + wc·c' against central differences of the F64 definition.
        Strided gradOut = operand(t, 4, 2, rows, h), gz = operand(t, 6, rows, 4 * h), gc = operand(t, 7, rows, h);
        fill(gradOut, rnd, 1);
        RecurrentKernels.lstmCellBackward(acts, c, gradOut, null, gz, gc);
        double[] w = values(gradOut);
        double eps = 1e-6;
        double gtol = t == DType.F32 ? 2e-5 : 1e-8;
        for (int r = 0; r < rows; r += Math.max(1, rows / 7)) {
            for (int q = 0; q < 4 * h; q++) {
                double save = z[4 * r * h + q];
                z[4 * r * h + q] = save + eps;
                double up = loss(z, cp, w, r, h, rows);
                z[4 * r * h + q] = save - eps;
                double down = loss(z, cp, w, r, h, rows);
                z[4 * r * h + q] = save;
                assertEquals((up - down) / (2 * eps), at(gz, 4 * r * h + q), gtol, "dL/dgates [" + r + ", " + q + "]");
            }
            for (int j = 0; j < h; j++) {
                double save = cp[r * h + j];
                cp[r * h + j] = save + eps;
                double up = loss(z, cp, w, r, h, rows);
                cp[r * h + j] = save - eps;
                double down = loss(z, cp, w, r, h, rows);
                cp[r * h + j] = save;
                assertEquals((up - down) / (2 * eps), at(gc, r * h + j), gtol, "dL/dc [" + r + ", " + j + "]");
            }
        }
    }

    /**
     * The optional addends (the forward's inputGates, the backward's gradH) give exactly the bits of
     * adding them first, in the dtype, and calling without them (checked above against F64).
     */
    @ParameterizedTest(name = "{0} rows {1} units {2}")
    @CsvSource({"3, 7, F32", "4, 37, F32", "200, 41, F32", "3, 37, F64"})
    void theAddendsGiveTheBitsOfAddingThemFirst(int rows, int h, DType t) {
        SplittableRandom rnd = new SplittableRandom(rows * 7L + h);
        Strided gates = operand(t, 3, rows, 4 * h), x = operand(t, 2, rows, 4 * h), sum = operand(t, 0, rows, 4 * h);
        Strided c = operand(t, 5, rows, h);
        fill(gates, rnd, 3);
        fill(x, rnd, 1);
        fill(c, rnd, 2);
        for (int i = 0; i < sum.numel(); i++) {
            double v = at(gates, i) + at(x, i);
            FusedOperands.set(CpuBuffer.of(sum.buffer()), i, t == DType.F32 ? (float) v : v);
        }
        Strided out = operand(t, 2, 2, rows, h), acts = operand(t, 1, rows, 5 * h);
        Strided wantOut = operand(t, 0, 2, rows, h), wantActs = operand(t, 0, rows, 5 * h);
        double[] x0 = values(x), gates0 = values(gates);
        RecurrentKernels.lstmCell(gates, x, c, out, acts);
        RecurrentKernels.lstmCell(sum, null, c, wantOut, wantActs);
        assertArrayEquals(values(wantOut), values(out), "out");
        assertArrayEquals(values(wantActs), values(acts), "acts");
        assertArrayEquals(x0, values(x), "inputGates is read, not written");
        assertArrayEquals(gates0, values(gates), "nor is gates");

        Strided gradOut = operand(t, 4, 2, rows, h), gradH = operand(t, 1, rows, h), summed = operand(t, 0, 2, rows, h);
        fill(gradOut, rnd, 1);
        fill(gradH, rnd, 1);
        for (int i = 0; i < summed.numel(); i++) {
            double v = at(gradOut, i) + (i < rows * h ? at(gradH, i) : 0);
            FusedOperands.set(CpuBuffer.of(summed.buffer()), i, i < rows * h && t == DType.F32 ? (float) v : v);
        }
        Strided gz = operand(t, 6, rows, 4 * h), gc = operand(t, 7, rows, h), wantGz = operand(t, 0, rows, 4 * h), wantGc = operand(t, 0, rows, h);
        RecurrentKernels.lstmCellBackward(acts, c, gradOut, gradH, gz, gc);
        RecurrentKernels.lstmCellBackward(acts, c, summed, null, wantGz, wantGc);
        assertArrayEquals(values(wantGz), values(gz), "gradGates");
        assertArrayEquals(values(wantGc), values(gc), "gradC");
    }

    /** Row r's part of L = Σ wh·h' + wc·c' (the other rows do not depend on row r's inputs). */
    private static double loss(double[] z, double[] c, double[] w, int r, int h, int rows) {
        double s = 0;
        for (int j = 0; j < h; j++) {
            double[] hc = reference(z, c, r, j, h);
            s += w[r * h + j] * hc[0] + w[rows * h + r * h + j] * hc[1];
        }
        return s;
    }

    @Test
    void rejectsOperandsThatDoNotFitC() {
        Strided gates = operand(DType.F32, 0, 2, 12), c = operand(DType.F32, 0, 2, 4);
        Strided out = operand(DType.F32, 0, 2, 2, 4), acts = operand(DType.F32, 0, 2, 16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecurrentKernels.lstmCell(gates, null, c, out, acts));
        assertTrue(e.getMessage().contains("lstmCell") && e.getMessage().contains("R·5H"), e.getMessage());
        Strided c64 = operand(DType.F64, 0, 2, 4), gates16 = operand(DType.F32, 0, 2, 16), acts20 = operand(DType.F32, 0, 2, 20);
        e = assertThrows(IllegalArgumentException.class, () -> RecurrentKernels.lstmCell(gates16, null, c64, out, acts20));
        assertTrue(e.getMessage().contains("one dtype"), e.getMessage());
        Strided acts40 = operand(DType.F32, 0, 2, 20), gz = operand(DType.F32, 0, 2, 16);
        Strided gc3 = operand(DType.F32, 0, 2, 3), gc64 = operand(DType.F64, 0, 2, 4);
        e = assertThrows(IllegalArgumentException.class, () -> RecurrentKernels.lstmCellBackward(acts40, c, out, null, gz, gc3));
        assertTrue(e.getMessage().contains("gradC must be like c"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RecurrentKernels.lstmCellBackward(acts40, c, out, null, gz, gc64));
        assertTrue(e.getMessage().contains("one dtype"), e.getMessage());
    }
}
