package dev.fathom.bench.report;

import java.util.List;

/**
 * One of issue 7's targets: Fathom's {@code cpu} backend against a peer on the same work, as the
 * ratio of their rates (GFLOP/s for GEMM, samples/s, tokens/s or steps/s for training), which must
 * reach {@code min}.
 *
 * @param work    the row's label
 * @param bench   the {@code bench} of both measurements
 * @param param   the parameter that picks the row ({@code "n"}), or null
 * @param value   that parameter's value, or null
 * @param peer    the peer's backend name ({@code numpy}, {@code torch})
 * @param peerName how the report names the peer
 * @param min     the smallest ratio that meets the target
 */
public record Target(String work, String bench, String param, String value, String peer, String peerName, double min) {

    /** The targets of issue 7, in its order. */
    public static final List<Target> ISSUE_7 = List.of(
            gemm(256, 0.8), gemm(512, 0.9), gemm(1024, 0.9), gemm(2048, 0.9),
            train("MLP, samples/s", "train.mlp", "mlp_fmnist.py"),
            train("CNN, samples/s", "train.cnn", "cnn_fmnist.py"),
            train("GPT char-LM, tokens/s", "train.gpt", "charlm_transformer.py"),
            train("LSTM char-LM, tokens/s", "train.lstm", "charlm_lstm.py"),
            train("DCGAN, steps/s", "train.dcgan", "dcgan_fmnist.py"));

    private static Target gemm(int n, double min) {
        return new Target("SGEMM N = " + n + ", GFLOP/s", "gemm", "n", Integer.toString(n), "numpy", "numpy.dot", min);
    }

    private static Target train(String work, String bench, String script) {
        return new Target(work, bench, null, null, "torch", "PyTorch " + script, 1.0);
    }

    /** Whether {@code m} is this target's work (any backend). */
    public boolean matches(Measurement m) {
        return m.bench().equals(bench) && (param == null || value.equals(m.param(param)));
    }
}
