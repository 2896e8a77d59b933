package dev.fathom.bench.run;

import dev.fathom.bench.AttentionBenchmark;
import dev.fathom.bench.CharLmStepBenchmark;
import dev.fathom.bench.ConvBenchmark;
import dev.fathom.bench.DcganStepBenchmark;
import dev.fathom.bench.ElementwiseBenchmark;
import dev.fathom.bench.LayerNormBenchmark;
import dev.fathom.bench.MatmulBenchmark;
import dev.fathom.bench.ReductionBenchmark;
import dev.fathom.bench.SoftmaxBenchmark;
import dev.fathom.bench.TrainStepBenchmark;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What {@code scripts/bench} runs, in order: the op benchmarks, then the training steps of the
 * reference workloads. A quick run keeps every entry (so that each benchmark is exercised) with
 * smaller sweeps; the JMH iteration counts are set by {@link JmhRunner}.
 */
public final class Suite {

    private Suite() {
    }

    /** Every entry, in run order. */
    public static final List<SuiteEntry> ALL = List.of(
            new SuiteEntry("gemm", MatmulBenchmark.class,
                    Map.of("matmul", new SuiteEntry.Bench("gemm", new Work.Flops(p -> 2 * cube(i(p, "n"))))), Set.of("matmul"),
                    params("n", List.of("256", "512", "1024", "2048")), params("n", List.of("256", "512")), List.of("n")),
            new SuiteEntry("conv2d", ConvBenchmark.class,
                    Map.of("forward", new SuiteEntry.Bench("conv2d.forward", new Work.Flops(Suite::convFlops)),
                            "forwardBackward", new SuiteEntry.Bench("conv2d.forward_backward", new Work.Flops(p -> 3 * convFlops(p)))),
                    Set.of("forward", "forwardBackward"),
                    params("layer", List.of("conv1", "conv2")), params("layer", List.of("conv2")), List.of("layer")),
            new SuiteEntry("elementwise", ElementwiseBenchmark.class,
                    Map.of("add", new SuiteEntry.Bench("add", new Work.Bytes(p -> 12 * i(p, "n"))),
                            "sum", new SuiteEntry.Bench("sum", new Work.Bytes(p -> 4 * i(p, "n"))),
                            // [n / 1024, 1024] read, 1024 column sums written (a bias gradient over a batch)
                            "sumColumns", new SuiteEntry.Bench("sum_columns",
                                    new Work.Bytes(p -> 4 * i(p, "n") + 4 * ElementwiseBenchmark.COLUMNS))),
                    Set.of("add", "sum"), params("n", List.of("16777216")), params("n", List.of("16777216")), List.of("n")),
            new SuiteEntry("reduction", ReductionBenchmark.class,
                    Map.of("sumAxis", new SuiteEntry.Bench("sum_axis", new Work.Bytes(
                            p -> 4 * i(p, "rows") * i(p, "cols") + 4 * (i(p, "axis") == 0 ? i(p, "cols") : i(p, "rows"))))),
                    Set.of("sumAxis"), rowsCols("4096", "4096", List.of("0", "1")), rowsCols("4096", "4096", List.of("1")),
                    List.of("rows", "cols", "axis")),
            new SuiteEntry("softmax", SoftmaxBenchmark.class,
                    Map.of("softmax", new SuiteEntry.Bench("softmax", new Work.Bytes(p -> 8 * i(p, "rows") * i(p, "cols")))),
                    Set.of("softmax"), rowsCols("8192", "1024", null), rowsCols("8192", "1024", null), List.of("rows", "cols")),
            new SuiteEntry("layernorm", LayerNormBenchmark.class,
                    Map.of("layerNormForward", new SuiteEntry.Bench("layer_norm", new Work.Bytes(p -> 8 * i(p, "rows") * i(p, "cols")))),
                    Set.of("layerNormForward"), rowsCols("8192", "1024", null), rowsCols("8192", "1024", null), List.of("rows", "cols")),
            new SuiteEntry("attention", AttentionBenchmark.class,
                    Map.of("fusedForward", new SuiteEntry.Bench("attention.fused_forward", new Work.Flops(Suite::attentionFlops)),
                            "compositeForward", new SuiteEntry.Bench("attention.composite_forward", new Work.Flops(Suite::attentionFlops)),
                            "fusedForwardBackward", new SuiteEntry.Bench("attention.fused_forward_backward",
                                    new Work.Flops(p -> 3 * attentionFlops(p))),
                            "compositeForwardBackward", new SuiteEntry.Bench("attention.composite_forward_backward",
                                    new Work.Flops(p -> 3 * attentionFlops(p)))),
                    Set.of("fusedForward", "fusedForwardBackward"), Map.of(), Map.of(), List.of("batch", "heads", "length", "headDim")),
            // loaderStep: the batch from a loader and the loss read back, as the peers time their epochs
            train("train.mlp", TrainStepBenchmark.class, "loaderStep", "model", "mlp", "samples/s", List.of("batch")),
            train("train.cnn", TrainStepBenchmark.class, "loaderStep", "model", "cnn", "samples/s", List.of("batch")),
            train("train.gpt", CharLmStepBenchmark.class, "step", "arch", "gpt", "tokens/s", List.of("batch", "context")),
            train("train.lstm", CharLmStepBenchmark.class, "step", "arch", "lstm", "tokens/s", List.of("batch", "context")),
            new SuiteEntry("train.dcgan", DcganStepBenchmark.class,
                    Map.of("step", new SuiteEntry.Bench("train.dcgan", new Work.Items(p -> 1, "steps/s"))), Set.of("step"),
                    Map.of(), Map.of(), List.of("batch")));

    /** The names of all entries, in order. */
    public static List<String> names() {
        return ALL.stream().map(SuiteEntry::name).toList();
    }

    /** The entries whose name contains a match of {@code only} (all when null); never empty. */
    public static List<SuiteEntry> select(Pattern only) throws UsageException {
        if (only == null) {
            return ALL;
        }
        List<SuiteEntry> out = ALL.stream().filter(e -> only.matcher(e.name()).find()).toList();
        if (out.isEmpty()) {
            throw new UsageException("--only " + only.pattern() + " matches no benchmark; the names are " + String.join(", ", names()));
        }
        return out;
    }

    /** A training step, {@code cls}'s {@code method}: items per step are {@code batch} (× {@code context} for tokens, 1 for steps). */
    private static SuiteEntry train(String name, Class<?> cls, String method, String key, String value, String unit, List<String> shown) {
        Work.ToDouble items = unit.equals("tokens/s") ? p -> i(p, "batch") * i(p, "context") : p -> i(p, "batch");
        Map<String, List<String>> p = params(key, List.of(value));
        return new SuiteEntry(name, cls, Map.of(method, new SuiteEntry.Bench(name, new Work.Items(items, unit))), Set.of(method), p, p,
                shown);
    }

    /** 2·N·C_out·OH·OW·C_in·9 of the reference CNN's layers (stride 1, padding 1: OH = H). */
    static double convFlops(Map<String, String> p) {
        return switch (p.get("layer")) {
            case "conv1" -> 2.0 * 128 * 32 * 28 * 28 * 1 * 9;
            case "conv2" -> 2.0 * 128 * 64 * 14 * 14 * 32 * 9;
            default -> throw new IllegalArgumentException("conv2d: unknown layer \"" + p.get("layer") + "\"");
        };
    }

    /**
     * The QKᵀ and PV products over the (query, key) pairs a causal mask keeps (AttentionBenchmark is
     * causal): L·(L + 1)/2 pairs of 2·D flops each, twice, {@code 2·B·H·L·(L + 1)·D}. Counting the
     * dense 4·B·H·L²·D credited the fused kernel, which skips the masked keys, with twice the work it
     * does; the composite computes all the scores and is charged the same useful work.
     */
    static double attentionFlops(Map<String, String> p) {
        double l = i(p, "length");
        return 2.0 * i(p, "batch") * i(p, "heads") * l * (l + 1) * i(p, "headDim");
    }

    private static Map<String, List<String>> params(String key, List<String> values) {
        return Map.of(key, values);
    }

    private static Map<String, List<String>> rowsCols(String rows, String cols, List<String> axes) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("rows", List.of(rows));
        m.put("cols", List.of(cols));
        if (axes != null) {
            m.put("axis", axes);
        }
        return m;
    }

    private static double i(Map<String, String> p, String key) {
        String v = p.get(key);
        if (v == null) {
            throw new IllegalArgumentException("benchmark parameter " + key + " is missing from " + p);
        }
        return Double.parseDouble(v);
    }

    private static double cube(double x) {
        return x * x * x;
    }
}
