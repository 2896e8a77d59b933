package dev.fathom.conformance;

import dev.fathom.nn.Functional;
import dev.fathom.nn.LSTM;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Parameter;
import dev.fathom.nn.Reduction;
import dev.fathom.optim.Adam;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An LSTM learns to recall: at step t it must name the symbol it saw {@value #DELAY} steps earlier,
 * which only a working memory (the cell state, trained through time) can do.
 */
class RecurrentOverfitTest extends ConformanceTest {
    private static final int SYMBOLS = 4;
    private static final int DELAY = 2;
    private static final int STEPS = 7;
    private static final int BATCH = 8;

    @BackendTest
    void lstmLearnsToRecallADelayedSymbol(TestBackends.Case backend) {
        use(backend);
        SplittableRandom random = new SplittableRandom(3);
        float[] x = new float[STEPS * BATCH * SYMBOLS];
        long[] y = new long[STEPS * BATCH];
        int[][] seq = new int[BATCH][STEPS];
        for (int n = 0; n < BATCH; n++) {
            for (int t = 0; t < STEPS; t++) {
                seq[n][t] = random.nextInt(SYMBOLS);
            }
        }
        for (int t = 0; t < STEPS; t++) {
            for (int n = 0; n < BATCH; n++) {
                x[(t * BATCH + n) * SYMBOLS + seq[n][t]] = 1;
                y[t * BATCH + n] = t < DELAY ? Functional.DEFAULT_IGNORE_INDEX : seq[n][t - DELAY];
            }
        }
        Tensor input = Tensor.of(x, STEPS, BATCH, SYMBOLS);
        Tensor target = Tensor.of(y, STEPS * BATCH);
        Generator g = new Generator(7);
        try (LSTM lstm = new LSTM(SYMBOLS, 16, 1, true, false, 0, DType.F32, g); Linear head = new Linear(16, SYMBOLS, true, g)) {
            List<Parameter> params = new ArrayList<>(lstm.parameters());
            params.addAll(head.parameters());
            try (Adam adam = new Adam(params, 0.03)) {
                float first = Float.NaN, loss = Float.NaN;
                for (int step = 0; step < 150 && !(loss < 0.05); step++) {
                    try (Scope s = Scope.open()) {
                        Tensor logits = head.forward(lstm.forward(input)).reshape(STEPS * BATCH, SYMBOLS);
                        Tensor l = Functional.crossEntropy(logits, target, null, Functional.DEFAULT_IGNORE_INDEX, 0, Reduction.MEAN);
                        l.backward();
                        adam.step();
                        adam.zeroGrad();
                        loss = l.item();
                        if (step == 0) {
                            first = loss;
                        }
                    }
                }
                float start = first, end = loss;
                assertTrue(start > 1.0, "an untrained model is near ln 4 = 1.39, got " + start);
                assertTrue(end < 0.05, "recall loss after at most 150 Adam steps: " + start + " -> " + end);
            }
        }
    }
}
