package dev.fathom.cpu;

import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.UnaryOp;

/**
 * The scalar meaning of every elementwise op in F64, used by the strided (non-vector) paths and
 * by ops with no vector form. {@link #erf}/{@link #erfc} are here because the JDK has none.
 */
final class ScalarMath {
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double INV_SQRT_PI = 1.0 / Math.sqrt(Math.PI);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double INV_SQRT_2 = Math.sqrt(0.5);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private ScalarMath() {
    }

    static double unary(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case RECIPROCAL -> 1.0 / x;
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case RELU -> x > 0 || Double.isNaN(x) ? x : 0;
            case GELU -> x * phi(x);
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
            case SILU -> x * sigmoid(x);
            case ERF -> erf(x);
            case NOT -> x == 0 ? 1 : 0;
        };
    }

    static long unaryLong(UnaryOp op, long x) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Long.signum(x);
            default -> throw new IllegalArgumentException("cpu: " + op + " is not defined for I64");
        };
    }

    /**
     * C99's (IEEE 754's) {@code pow}, which PyTorch and the CUDA backend's {@code pow} follow: as
     * {@link Math#pow}, except that {@code 1^y} is 1 for every y, NaN included, and {@code (−1)^±∞}
     * is 1, where {@code Math.pow} gives NaN.
     */
    static double pow(double a, double b) {
        if (a == 1 || (a == -1 && Double.isInfinite(b))) {
            return 1;
        }
        return Math.pow(a, b);
    }

    static double binary(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> pow(a, b);
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            default -> throw new IllegalArgumentException("cpu: " + op + " has no numeric result");
        };
    }

    static long binaryLong(BinaryOp op, long a, long b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> {
                if (b == 0) {
                    throw new ArithmeticException("div: integer division by zero in an I64 tensor");
                }
                yield a / b;
            }
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            default -> throw new IllegalArgumentException("cpu: " + op + " is not defined for I64");
        };
    }

    static boolean compare(BinaryOp op, double a, double b) {
        return switch (op) {
            case EQ -> a == b;
            case NE -> a != b;
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            default -> throw new IllegalArgumentException("cpu: " + op + " is not a comparison");
        };
    }

    static boolean compareLong(BinaryOp op, long a, long b) {
        return switch (op) {
            case EQ -> a == b;
            case NE -> a != b;
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            default -> throw new IllegalArgumentException("cpu: " + op + " is not a comparison");
        };
    }

    static boolean logical(BinaryOp op, boolean a, boolean b) {
        return switch (op) {
            case AND -> a & b;
            case OR -> a | b;
            case XOR, NE -> a ^ b;
            case EQ -> a == b;
            default -> throw new IllegalArgumentException("cpu: " + op + " is not defined for BOOL");
        };
    }

    /** 1/(1+e^-x) without overflow: the exponent is always of -|x|. */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** The standard normal CDF Φ(x), through erfc for negative x so small tails keep their digits. */
    static double phi(double x) {
        return x < 0 ? 0.5 * erfc(-x * INV_SQRT_2) : 0.5 * (1 + erf(x * INV_SQRT_2));
    }

    /** GELU's derivative Φ(x) + x·φ(x), with φ the standard normal density. */
    static double geluGrad(double x) {
        return phi(x) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI;
    }

    /**
     * The error function to about 1e-15 relative: the all-positive series
     * {@code erf x = 2/√π e^{-x²} Σ 2ⁿx^{2n+1}/(2n+1)!!} below 3, {@code 1 - erfc} above.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double x2 = ax * ax;
            double term = ax, sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= 2 * x2 / (2 * n + 1);
                sum += term;
                if (term < sum * 1e-17) {
                    break;
                }
            }
            r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
        } else {
            r = 1 - erfc(ax);
        }
        return Math.copySign(r, x);
    }

    /**
     * The complementary error function: {@code 1 - erf} below 3 and, above, Laplace's continued
     * fraction {@code e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))}, evaluated backwards.
     */
    static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < 3) {
            return 1 - erf(x);
        }
        if (x > 27) {
            return 0;
        }
        double f = x;
        for (int n = 120; n >= 1; n--) {
            f = x + (n * 0.5) / f;
        }
        return Math.exp(-x * x) * INV_SQRT_PI / f;
    }
}
