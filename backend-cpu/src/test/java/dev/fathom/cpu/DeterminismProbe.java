package dev.fathom.cpu;

import dev.fathom.Fathom;
import dev.fathom.nn.Functional;
import dev.fathom.nn.LSTM;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Parameter;
import dev.fathom.nn.TransformerBlock;
import dev.fathom.optim.Adam;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Runs a fixed set of seeded CPU computations and prints one line per op: its name and a hash of
 * the raw float bits of its result. {@link JitDeterminismTest} runs it in an interpreter-only JVM
 * and in a C2-compiled one and compares the lines. Sizes are small (the interpreter runs the Vector
 * API's Java fallbacks) but longer than a vector and not multiples of it, so tails run too.
 * Arguments: the number of warm-up rounds before the printed one.
 */
public final class DeterminismProbe {
    private DeterminismProbe() {
    }

    public static void main(String[] args) {
        int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        for (int i = 0; i < warmup; i++) {
            run();
        }
        run().forEach((name, hash) -> System.out.println(name + " " + hash));
    }

    static Map<String, String> run() {
        Map<String, String> out = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(42);
        op(out, "softmax", () -> data(r, 4, 3, 37).softmax(-1));
        op(out, "softmaxMiddle", () -> data(r, 3, 11, 5).softmax(1));
        op(out, "logSoftmax", () -> data(r, 5, 45).logSoftmax(-1));
        op(out, "softmaxBackward", () -> grad(data(r, 4, 37), x -> x.softmax(-1), r));
        op(out, "logSoftmaxBackward", () -> grad(data(r, 4, 37), x -> x.logSoftmax(-1), r));
        Tensor w = data(r, 45), b = data(r, 45);
        op(out, "layerNorm", () -> Functional.layerNorm(data(r, 6, 45), new int[] {45}, w, b, 1e-5));
        op(out, "layerNormBackward", () -> grad(data(r, 6, 45), x -> Functional.layerNorm(x, new int[] {45}, w, b, 1e-5), r));
        op(out, "sum", () -> data(r, 2500).mul(data(r, 2500)).sum());
        op(out, "mean", () -> data(r, 7, 301).mean(1));
        op(out, "exp", () -> data(r, 83).mul(Tensor.scalar(20f)).exp());
        op(out, "tanh", () -> data(r, 83).mul(Tensor.scalar(4f)).tanh());
        op(out, "sigmoid", () -> data(r, 83).mul(Tensor.scalar(8f)).sigmoid());
        op(out, "log", () -> data(r, 83).abs().log());
        op(out, "sin", () -> data(r, 83).mul(Tensor.scalar(9f)).sin());
        op(out, "pow", () -> data(r, 83).abs().pow(data(r, 83)));
        op(out, "attention", () -> Functional.scaledDotProductAttention(data(r, 2, 2, 13, 8), data(r, 2, 2, 21, 8),
                data(r, 2, 2, 21, 8), null, false, 0, false));
        op(out, "attentionBackward", () -> {
            Tensor q = data(r, 2, 2, 13, 8).requiresGrad(true), k = data(r, 2, 2, 21, 8).requiresGrad(true);
            Tensor v = data(r, 2, 2, 21, 8).requiresGrad(true);
            Functional.scaledDotProductAttention(q, k, v, null, true, 0, false).mul(data(r, 2, 2, 13, 8)).sum().backward();
            return Tensor.cat(0, q.grad().flatten(), k.grad().flatten(), v.grad().flatten());
        });
        op(out, "lstm", () -> {
            LSTM lstm = new LSTM(5, 37, 1, true, true, 0, DType.F32, new Generator(3));
            Tensor x = data(r, 2, 4, 5).requiresGrad(true);
            Tensor y = lstm.forward(x, null, null).output();
            y.mul(data(r, 2, 4, 37)).sum().backward();
            return Tensor.cat(0, y.detach().flatten(), x.grad().flatten());
        });
        op(out, "training", DeterminismProbe::train);
        return out;
    }

    private static Tensor train() {
        Fathom.seed(7);
        TransformerBlock block = new TransformerBlock(16, 2);
        Linear head = new Linear(16, 11);
        List<Parameter> params = new ArrayList<>(block.parameters());
        params.addAll(head.parameters());
        Adam opt = new Adam(params, 1e-2);
        SplittableRandom r = new SplittableRandom(3);
        for (int step = 0; step < 2; step++) {
            try (Scope s = Scope.open()) {
                Tensor x = data(r, 2, 9, 16);
                long[] target = new long[18];
                for (int i = 0; i < target.length; i++) {
                    target[i] = r.nextInt(11);
                }
                Tensor logits = head.forward(block.forward(x)).reshape(18, 11);
                Tensor loss = Functional.crossEntropy(logits, Tensor.of(target, 18));
                opt.zeroGrad();
                loss.backward();
                opt.step();
            }
        }
        List<Tensor> flat = new ArrayList<>();
        for (Parameter p : params) {
            flat.add(p.data().flatten());
        }
        return Tensor.cat(0, flat.toArray(Tensor[]::new));
    }

    private static Tensor grad(Tensor x, java.util.function.UnaryOperator<Tensor> f, SplittableRandom r) {
        x.requiresGrad(true);
        Tensor y = f.apply(x);
        y.mul(data(r, y.shape())).sum().backward();
        return x.grad();
    }

    private static Tensor data(SplittableRandom r, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return Tensor.of(a, shape);
    }

    private static void op(Map<String, String> out, String name, Supplier<Tensor> f) {
        try (Scope s = Scope.open()) {
            float[] v = f.get().toFloatArray();
            long h = 1469598103934665603L;
            for (float x : v) {
                h = (h ^ Float.floatToRawIntBits(x)) * 1099511628211L;
            }
            out.put(name, Long.toHexString(h));
        }
    }
}
