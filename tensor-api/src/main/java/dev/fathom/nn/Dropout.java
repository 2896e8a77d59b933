package dev.fathom.nn;

import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

import java.util.Objects;

/** Inverted dropout with probability {@code p} in training, the identity in evaluation; see {@link Functional#dropout}. */
public final class Dropout extends Module {
    private final double p;
    private final Generator generator;

    public Dropout() {
        this(0.5);
    }

    public Dropout(double p) {
        this(p, Generator.global());
    }

    /** Dropout whose masks come from {@code generator}. */
    public Dropout(double p, Generator generator) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: probability p must be in [0, 1], got " + p);
        }
        this.p = p;
        this.generator = Objects.requireNonNull(generator, "Dropout: generator is null (use Generator.global())");
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.dropout(input, p, isTraining(), generator);
    }

    public double p() {
        return p;
    }

    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
