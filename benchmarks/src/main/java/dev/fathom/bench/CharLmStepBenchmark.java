package dev.fathom.bench;

import dev.fathom.Fathom;
import dev.fathom.models.CharLm;
import dev.fathom.models.Gpt;
import dev.fathom.models.LstmLM;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.train.CharLmTraining;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One training step of a reference character LM ({@code fathom train charlm}: forward, mean
 * cross-entropy over every position, backward, the arch's reference optimizer) on a fixed batch of
 * {@code batch × context} ids already on the device; tokens/s is {@code batch·context / time}. The
 * peers ({@code charlm_transformer.py}, {@code charlm_lstm.py}) time the same step.
 *
 * <p>{@code scripts/bench --only 'train.(gpt|lstm)'} runs it beside the peers; the numbers of each
 * change are in its commit message and the session's closing note, not here, where they would go
 * stale.
 *
 * <p>Warm-up is 10 s: the peers time the steps after their first 20, and C2 is still compiling
 * this step's many kernels after 6 s (three 2 s rounds left the first measured rounds 10–30%
 * slower than the last). The first step alone takes about 3 s (the GPT's on 2 cores, its kernels
 * still interpreted or in C1); the steps after run 90–130 ms.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class CharLmStepBenchmark extends BackendBenchmark {
    /** The reference corpus's vocabulary size. */
    private static final int VOCAB = 113;

    @Param({"gpt", "lstm"})
    public String arch;

    @Param({"32"})
    public int batch;

    @Param({"128"})
    public int context;

    private Device device;
    private CharLm model;
    private Optimizer optimizer;
    private Tensor input;
    private Tensor target;

    @Setup(Level.Trial)
    public void setUp() {
        device = Device.parse(backend);
        Fathom.seed(0);
        model = switch (arch) {
            case "gpt" -> new Gpt(Gpt.Config.reference(VOCAB));
            case "lstm" -> new LstmLM(LstmLM.Config.reference(VOCAB));
            default -> throw new IllegalArgumentException("CharLmStepBenchmark: unknown arch \"" + arch + "\"; choose gpt or lstm");
        };
        Module m = ((Module) model).to(device).train();
        optimizer = CharLmTraining.optimizer(arch, m.parameters(), CharLmTraining.referenceLr(arch));
        long[] ids = new long[batch * context];
        long[] next = new long[batch * context];
        long state = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < ids.length; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            ids[i] = (state >>> 33) % VOCAB;
        }
        for (int i = 0; i < ids.length; i++) {
            next[i] = i + 1 < ids.length ? ids[i + 1] : ids[0];
        }
        try (Scope s = Scope.open()) {
            input = Scope.escape(Tensor.of(ids, batch, context).to(device));
            target = Scope.escape(Tensor.of(next, batch * context).to(device));
        }
    }

    @Benchmark
    public double step() {
        try (Scope s = Scope.open()) {
            Tensor logits = model.forward(input);
            Tensor loss = Functional.crossEntropy(logits.reshape(batch * context, VOCAB), target);
            double value = loss.itemDouble();
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            device.synchronize();
            return value;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        input.close();
        target.close();
        optimizer.close();
        ((Module) model).close();
    }
}
