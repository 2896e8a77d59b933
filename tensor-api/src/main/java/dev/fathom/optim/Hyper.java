package dev.fathom.optim;

/** Checks of hyperparameters, shared by the config records; each message names the owner, the field, the value and the rule. */
final class Hyper {
    private Hyper() {
    }

    /** {@code config}, which must not be null. */
    static <C> C config(String owner, C config) {
        return java.util.Objects.requireNonNull(config, () -> owner + ": the config is null; pass Config.defaults() or a copy of it with the changes");
    }

    /** {@code value >= 0} and finite (false for NaN): a learning rate, a decay, a saved schedule's rate. */
    static boolean finiteNonNegative(double value) {
        return value >= 0 && value != Double.POSITIVE_INFINITY;
    }

    /** {@code value >= 0} and finite. */
    static double nonNegative(String owner, String field, double value) {
        if (!finiteNonNegative(value)) {
            throw new IllegalArgumentException(owner + ": " + field + " must be finite and >= 0, got " + value);
        }
        return value;
    }

    /** {@code value > 0} and finite. */
    static double positive(String owner, String field, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(owner + ": " + field + " must be finite and > 0, got " + value);
        }
        return value;
    }

    /** {@code 0 <= value < 1}: a decay rate such as Adam's betas. */
    static double unitInterval(String owner, String field, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(owner + ": " + field + " must be in [0, 1), got " + value);
        }
        return value;
    }

    /** {@code 0 <= value <= 1}. */
    static double closedUnitInterval(String owner, String field, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(owner + ": " + field + " must be in [0, 1], got " + value);
        }
        return value;
    }

    /** {@code 0 < value < 1}: a multiplicative decay such as a schedule's factor. */
    static double openUnitInterval(String owner, String field, double value) {
        if (!(value > 0 && value < 1)) {
            throw new IllegalArgumentException(owner + ": " + field + " must be in (0, 1), got " + value);
        }
        return value;
    }

    static long positive(String owner, String field, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(owner + ": " + field + " must be > 0, got " + value);
        }
        return value;
    }

    static long nonNegative(String owner, String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(owner + ": " + field + " must be >= 0, got " + value);
        }
        return value;
    }
}
