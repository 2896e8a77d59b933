package dev.fathom.models;

import dev.fathom.nn.Embedding;
import dev.fathom.nn.LSTM;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.RecurrentOutput;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A character-level LSTM language model, as the reference workload {@code charlm_lstm.py}:
 * {@code Embedding(V, embed) → LSTM(embed → hidden, layers, batch_first) → Linear(hidden, V)},
 * every batch starting from a zero state, PyTorch's default init (N(0, 1) embedding,
 * U(±1/√hidden) recurrent weights, Kaiming-uniform head) from the generator.
 *
 * <p>Children: {@code emb}, {@code lstm}, {@code out}. Shapes: ids I64 {@code [N, T]}, logits {@code [N, T, V]}.
 */
public final class LstmLM extends Module implements CharLm {
    /** Sizes; the reference workload is {@link #reference(int)}: embedding 64, hidden 256, 2 layers. */
    public record Config(int vocabSize, int embed, int hidden, int layers) {
        public Config {
            if (vocabSize < 1 || embed < 1 || hidden < 1 || layers < 1) {
                throw new IllegalArgumentException("LstmLM.Config: need vocab_size, embed, hidden, layers >= 1; got " + vocabSize + ", " + embed
                        + ", " + hidden + ", " + layers);
            }
        }

        public static Config reference(int vocabSize) {
            return new Config(vocabSize, 64, 256, 2);
        }

        /** {@code "vocab_size=113,embed=64,hidden=256,layers=2"}: what checkpoints store. */
        public String format() {
            return "vocab_size=" + vocabSize + ",embed=" + embed + ",hidden=" + hidden + ",layers=" + layers;
        }

        public static Config parse(String s) {
            Map<String, String> kv = ConfigStrings.parse("LstmLM.Config", s, List.of("vocab_size", "embed", "hidden", "layers"));
            return new Config(ConfigStrings.integer("LstmLM.Config", kv, "vocab_size"), ConfigStrings.integer("LstmLM.Config", kv, "embed"),
                    ConfigStrings.integer("LstmLM.Config", kv, "hidden"), ConfigStrings.integer("LstmLM.Config", kv, "layers"));
        }
    }

    private final Config config;
    private final Embedding emb;
    private final LSTM lstm;
    private final Linear out;

    public LstmLM(Config config) {
        this(config, Generator.global());
    }

    public LstmLM(Config config, Generator generator) {
        this.config = Objects.requireNonNull(config, "LstmLM: config is null");
        Objects.requireNonNull(generator, "LstmLM: generator is null (use Generator.global())");
        this.emb = child("emb", new Embedding(config.vocabSize(), config.embed(), generator));
        this.lstm = child("lstm", new LSTM(config.embed(), config.hidden(), config.layers(), true, true, 0.0, DType.F32, generator));
        this.out = child("out", new Linear(config.hidden(), config.vocabSize(), true, generator));
    }

    /** Logits {@code [N, T, V]} for ids {@code [N, T]}, from a zero state. */
    @Override
    public Tensor forward(Tensor ids) {
        checkIds(ids);
        return Scope.intermediates(() -> out.forward(lstm.forward(emb.forward(ids), null, null).output()));
    }

    /** Logits and the final {@code (h, c)} for ids {@code [N, T]} from state {@code h0, c0} ({@code [layers, N, hidden]}, or null for zeros). */
    public RecurrentOutput forward(Tensor ids, Tensor h0, Tensor c0) {
        checkIds(ids);
        RecurrentOutput r = lstm.forward(emb.forward(ids), h0, c0);
        return new RecurrentOutput(out.forward(r.output()), r.hN(), r.cN());
    }

    private static void checkIds(Tensor ids) {
        if (ids.dim() != 2 || ids.dtype() != DType.I64) {
            throw new IllegalArgumentException("LstmLM.forward: ids must be I64 [N, T], got " + ids.describe());
        }
    }

    public Config config() {
        return config;
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public String arch() {
        return "lstm";
    }

    @Override
    public String configString() {
        return config.format();
    }

    public LSTM lstm() {
        return lstm;
    }

    /** Carries {@code (h, c)} from one feed to the next; the state lives outside every scope until closed. */
    @Override
    public Decoder decoder() {
        return new Decoder() {
            private Tensor h;
            private Tensor c;

            @Override
            public Tensor feed(long[] ids) {
                if (ids.length == 0) {
                    throw new IllegalArgumentException("LstmLM.decoder: feed at least one token");
                }
                for (long id : ids) {
                    CharLm.checkId("LstmLM.decoder", id, config.vocabSize());
                }
                try (Scope s = Scope.open()) {
                    Tensor in = Tensor.of(ids, 1, ids.length).to(emb.weight().data().device());
                    RecurrentOutput r = forward(in, h, c);
                    Tensor last = s.keep(r.output().select(0, 0).select(0, ids.length - 1).detach().contiguous());
                    Tensor hNew = Scope.escape(r.hN().detach().contiguous());
                    Tensor cNew = Scope.escape(r.cN().detach().contiguous());
                    close();
                    h = hNew;
                    c = cNew;
                    return last;
                }
            }

            @Override
            public void close() {
                if (h != null) {
                    h.close();
                    c.close();
                    h = null;
                    c = null;
                }
            }
        };
    }

    @Override
    public String toString() {
        return "LstmLM(vocab " + config.vocabSize() + ", embedding " + config.embed() + ", LSTM " + config.hidden() + " x " + config.layers()
                + " layers)";
    }
}
