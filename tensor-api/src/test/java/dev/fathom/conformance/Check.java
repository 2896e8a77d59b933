package dev.fathom.conformance;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import org.junit.jupiter.api.function.Executable;

import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one comparison of the suite: shape, then dtype, then values with
 * {@code |actual - ref| <= atol + rtol·|ref|} (NaN must match NaN, infinities must match
 * exactly). A failure names the op, the dtype, the shape and the first bad index with both values.
 */
final class Check {
    /** F64 results: exact up to a few roundings. */
    static final double F64_TOL = 1e-12;
    /** F32 results of simple ops. */
    static final double F32_TOL = 1e-5;

    private Check() {
    }

    /**
     * Asserts that {@code call} throws {@code type} with a message containing every fragment, and
     * returns the message: how the suite checks that bad input is refused with a useful message.
     */
    static <T extends Throwable> String fails(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        String m = e.getMessage();
        for (String f : fragments) {
            assertTrue(m != null && m.contains(f), "the message should contain \"" + f + "\": " + m);
        }
        return m;
    }

    /** Default tolerance for an op in {@code dtype}: tight for F64, 1e-5 for F32, exact for I64 and BOOL. */
    static double tol(DType dtype) {
        return switch (dtype) {
            case F64 -> F64_TOL;
            case F32 -> F32_TOL;
            case I64, BOOL -> 0;
        };
    }

    static void close(String what, Tensor actual, Ref expected, DType dtype) {
        close(what, actual, expected, dtype, tol(dtype), tol(dtype));
    }

    static void exact(String what, Tensor actual, Ref expected, DType dtype) {
        close(what, actual, expected, dtype, 0, 0);
    }

    static void close(String what, Tensor actual, Ref expected, DType dtype, double atol, double rtol) {
        String where = what + " " + dtype + " " + Arrays.toString(expected.shape);
        if (!Arrays.equals(actual.shape(), expected.shape)) {
            fail(where + ": shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape));
        }
        assertEquals(dtype, actual.dtype(), where + ": dtype");
        values(where, actual.toDoubleArray(), expected, atol, rtol);
    }

    /** Compares host values with the reference; {@code where} starts the failure message. */
    static void values(String where, double[] got, Ref expected, double atol, double rtol) {
        assertEquals(expected.data.length, got.length, where + ": element count");
        for (int i = 0; i < got.length; i++) {
            double a = got[i], e = expected.data[i];
            boolean ok;
            if (Double.isNaN(e) || Double.isNaN(a)) {
                ok = Double.isNaN(e) && Double.isNaN(a);
            } else if (Double.isInfinite(e) || Double.isInfinite(a)) {
                ok = a == e;
            } else {
                ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
            }
            if (!ok) {
                fail(String.format(Locale.ROOT, "%s: first bad element at %s (flat %d): got %.9g, expected %.9g (|diff| %.3g, tol %.3g + %.3g·|ref|)",
                        where, Arrays.toString(Ref.unravel(i, expected.shape)), i, a, e, Math.abs(a - e), atol, rtol));
            }
        }
    }
}
