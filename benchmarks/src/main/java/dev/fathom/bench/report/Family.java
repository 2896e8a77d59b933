package dev.fathom.bench.report;

import java.util.List;
import java.util.function.Predicate;

/**
 * A family of benchmarks that share a table in the report: its title, which {@code bench} names
 * belong to it, which rate its numbers are judged by, and a note on how that rate is counted.
 */
public record Family(String title, Predicate<String> member, Rate rate, String note) {

    /** The rate column of a family. */
    public enum Rate {
        GFLOPS("GFLOP/s"), GBPS("GB/s"), NONE("");

        final String label;

        Rate(String label) {
            this.label = label;
        }
    }

    /** The families of the report, in its order; each bench belongs to at most one. */
    public static final List<Family> ALL = List.of(
            new Family("GEMM (F32, C = A·B, N × N)", b -> b.equals("gemm"), Rate.GFLOPS,
                    "GFLOP/s = 2N³ / time. The peers are OpenBLAS through numpy.dot and torch.mm, at the same thread count."),
            new Family("Convolution (the reference CNN's layers, 3×3, padding 1, batch 128)", b -> b.startsWith("conv2d."), Rate.GFLOPS,
                    "conv1: [128, 1, 28, 28] → 32 channels; conv2: [128, 32, 14, 14] → 64. GFLOP/s counts 2·N·C_out·H·W·C_in·9 per "
                            + "forward and 3× that for forward + backward."),
            new Family("Elementwise and reductions (F32)", b -> b.equals("add") || b.equals("sum") || b.equals("sum_axis"), Rate.GBPS,
                    "GB/s counts the bytes one pass must move: add 12n, sum 4n, sum over an axis the input plus the output; "
                            + "% of the measured memory bandwidth."),
            new Family("Softmax and layer norm over rows (F32)", b -> b.equals("softmax") || b.equals("layer_norm"), Rate.GBPS,
                    "GB/s counts reading the input and writing the output once (8 bytes per element); % of the measured memory "
                            + "bandwidth."),
            new Family("Attention (GPT-sized, causal, F32)", b -> b.startsWith("attention."), Rate.GFLOPS,
                    "GFLOP/s counts the QKᵀ and PV products over the (query, key) pairs the causal mask keeps (2·B·H·L·(L + 1)·D per "
                            + "forward, 3× for forward + backward), for the fused and the composite kernel alike."),
            new Family("Training steps (the reference workloads)", b -> b.startsWith("train."), Rate.NONE,
                    "Fathom: one training step after JMH warm-up (MLP, CNN: the next batch from a shuffled loader over 60,000 "
                            + "examples in host memory, its tensors on the device, the loss read back, as fathom train runs it; char-LMs "
                            + "and DCGAN: a fixed batch already on the device); samples/s = batch / step time, tokens/s = batch·context / "
                            + "step time, steps/s = 1 / step time. Peers (PyTorch): their own training loop on the real data, batch "
                            + "gathering included (MLP, CNN: the second epoch; char-LMs and DCGAN: median step after 20 warm-up steps)."));
}
