package dev.fathom.models;

import dev.fathom.nn.Embedding;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Init;
import dev.fathom.nn.KvCache;
import dev.fathom.nn.LayerNorm;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.MultiheadAttention;
import dev.fathom.nn.PositionalEmbedding;
import dev.fathom.nn.Sequential;
import dev.fathom.nn.TransformerBlock;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A GPT-style character decoder (Radford et al. 2019, "Language Models are Unsupervised Multitask
 * Learners"), as the reference workload {@code charlm_transformer.py}: token embedding plus a learned
 * position embedding, {@code layers} pre-LN {@link TransformerBlock}s (causal, exact GELU, MLP 4·d,
 * no dropout), a final {@link LayerNorm} and a bias-free head {@code Linear(d, V)}, optionally tied
 * to the token embedding (Press and Wolf 2017). Init as GPT-2: every Linear/Embedding weight (the
 * attention's packed {@code in_proj_weight} and the position table included) N(0, 0.02) from the
 * generator, every bias 0, LayerNorm weight 1.
 *
 * <p>Children: {@code tok}, {@code pos}, {@code blocks} ({@code 0}…), {@code ln_f}, {@code head}
 * (absent when tied). Shapes: ids I64 {@code [N, T]} with {@code T ≤ context}, logits {@code [N, T, V]}.
 */
public final class Gpt extends Module implements CharLm {
    /**
     * Sizes. The reference workload is {@link #reference(int)}: context 128, d 128, 4 layers, 4 heads,
     * untied.
     */
    public record Config(int vocabSize, int context, int dModel, int layers, int heads, boolean tieWeights) {
        public Config {
            if (vocabSize < 1 || context < 1 || dModel < 1 || layers < 1 || heads < 1 || dModel % heads != 0) {
                throw new IllegalArgumentException("Gpt.Config: need vocab_size, context, d_model, layers, heads >= 1 with heads dividing d_model; got "
                        + "vocab_size " + vocabSize + ", context " + context + ", d_model " + dModel + ", layers " + layers + ", heads " + heads);
            }
        }

        /** The reference workload's sizes for a vocabulary of {@code vocabSize}. */
        public static Config reference(int vocabSize) {
            return new Config(vocabSize, 128, 128, 4, 4, false);
        }

        public Config withTieWeights(boolean tie) {
            return new Config(vocabSize, context, dModel, layers, heads, tie);
        }

        /** {@code "vocab_size=113,context=128,d_model=128,layers=4,heads=4,tie_weights=false"}: what checkpoints store. */
        public String format() {
            return "vocab_size=" + vocabSize + ",context=" + context + ",d_model=" + dModel + ",layers=" + layers + ",heads=" + heads
                    + ",tie_weights=" + tieWeights;
        }

        /** The inverse of {@link #format()}. */
        public static Config parse(String s) {
            Map<String, String> kv = ConfigStrings.parse("Gpt.Config", s, List.of("vocab_size", "context", "d_model", "layers", "heads", "tie_weights"));
            return new Config(ConfigStrings.integer("Gpt.Config", kv, "vocab_size"), ConfigStrings.integer("Gpt.Config", kv, "context"),
                    ConfigStrings.integer("Gpt.Config", kv, "d_model"), ConfigStrings.integer("Gpt.Config", kv, "layers"),
                    ConfigStrings.integer("Gpt.Config", kv, "heads"), Boolean.parseBoolean(kv.get("tie_weights")));
        }
    }

    private final Config config;
    private final Embedding tok;
    private final PositionalEmbedding pos;
    private final TransformerBlock[] blocks;
    private final LayerNorm lnF;
    private final Linear head;

    /** Weights from the global generator ({@code Fathom.seed} first). */
    public Gpt(Config config) {
        this(config, Generator.global());
    }

    public Gpt(Config config, Generator generator) {
        this.config = java.util.Objects.requireNonNull(config, "Gpt: config is null");
        java.util.Objects.requireNonNull(generator, "Gpt: generator is null (use Generator.global())");
        this.tok = child("tok", new Embedding(config.vocabSize(), config.dModel(), generator));
        this.pos = child("pos", new PositionalEmbedding(config.context(), config.dModel(), generator));
        this.blocks = new TransformerBlock[config.layers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new TransformerBlock(config.dModel(), config.heads(), 0.0, false, true, generator);
        }
        child("blocks", new Sequential(blocks));
        this.lnF = child("ln_f", new LayerNorm(config.dModel()));
        this.head = config.tieWeights() ? null : child("head", new Linear(config.dModel(), config.vocabSize(), false, generator));
        gpt2Init(this, generator);
    }

    /** N(0, 0.02) for the weights of every Linear, Embedding, position table and attention projection; zero biases. */
    private static void gpt2Init(Module m, Generator g) {
        switch (m) {
            case Linear l -> {
                Init.normal(l.weight().data(), 0, 0.02, g);
                if (l.bias() != null) {
                    Init.zeros(l.bias().data());
                }
            }
            case Embedding e -> Init.normal(e.weight().data(), 0, 0.02, g);
            case PositionalEmbedding p -> Init.normal(p.weight().data(), 0, 0.02, g);
            case MultiheadAttention a -> {
                Init.normal(a.inProjWeight().data(), 0, 0.02, g);
                if (a.inProjBias() != null) {
                    Init.zeros(a.inProjBias().data());
                }
            }
            default -> { }
        }
        m.children().values().forEach(c -> gpt2Init(c, g));
    }

    /** Logits {@code [N, T, V]} for ids {@code [N, T]}, {@code T ≤ context}. */
    @Override
    public Tensor forward(Tensor ids) {
        return forward(ids, 0, null);
    }

    /**
     * Logits for ids {@code [N, T]} at positions {@code offset … offset+T−1}; with {@code caches}
     * (one {@link KvCache} per block, holding {@code offset} positions), the new positions attend
     * to the cached ones.
     */
    public Tensor forward(Tensor ids, int offset, KvCache[] caches) {
        if (ids.dim() != 2 || ids.dtype() != DType.I64) {
            throw new IllegalArgumentException("Gpt.forward: ids must be I64 [N, T], got " + ids.describe());
        }
        if (offset < 0 || offset + ids.size(1) > config.context()) {
            throw new IllegalArgumentException("Gpt.forward: positions " + offset + ".." + (offset + ids.size(1) - 1) + " exceed the context of "
                    + config.context() + "; crop the input to its last " + config.context() + " tokens");
        }
        if (caches != null && caches.length != blocks.length) {
            throw new IllegalArgumentException("Gpt.forward: need one KvCache per block (" + blocks.length + "), got " + caches.length);
        }
        return Scope.intermediates(() -> {
            Tensor x = pos.forward(tok.forward(ids), offset);
            for (int i = 0; i < blocks.length; i++) {
                x = blocks[i].forward(x, null, caches == null ? null : caches[i]);
            }
            Tensor h = lnF.forward(x);
            return head != null ? head.forward(h) : Functional.linear(h, tok.weight().data(), null);
        });
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
        return "gpt";
    }

    @Override
    public String configString() {
        return config.format();
    }

    /** The token embedding (the head's weight when tied). */
    public Embedding tok() {
        return tok;
    }

    /** The head, or null when tied to {@link #tok()}. */
    public Linear head() {
        return head;
    }

    public List<TransformerBlock> blocks() {
        return List.of(blocks);
    }

    /**
     * Incremental decoding of one sequence with a {@link KvCache} per block; once the sequence is
     * longer than the context, each step recomputes the last {@code context} positions from scratch
     * (what a model that crops its input to the context sees).
     */
    @Override
    public Decoder decoder() {
        return new Decoder() {
            private final KvCache[] caches = newCaches();
            private final List<Long> history = new ArrayList<>();

            @Override
            public Tensor feed(long[] ids) {
                if (ids.length == 0) {
                    throw new IllegalArgumentException("Gpt.decoder: feed at least one token");
                }
                for (long id : ids) {
                    CharLm.checkId("Gpt.decoder", id, config.vocabSize());
                    history.add(id);
                }
                int cached = caches[0].length();
                long[] run;
                int offset;
                if (cached + ids.length <= config.context()) {
                    run = ids;
                    offset = cached;
                } else {
                    for (KvCache c : caches) {
                        c.reset();
                    }
                    int n = Math.min(history.size(), config.context());
                    run = history.subList(history.size() - n, history.size()).stream().mapToLong(Long::longValue).toArray();
                    offset = 0;
                }
                return Scope.intermediates(() -> {
                    Tensor in = Tensor.of(run, 1, run.length).to(tok.weight().data().device());
                    Tensor logits = forward(in, offset, caches);
                    return logits.select(0, 0).select(0, run.length - 1);
                });
            }

            @Override
            public void close() {
                Arrays.stream(caches).forEach(KvCache::close);
            }
        };
    }

    private KvCache[] newCaches() {
        KvCache[] c = new KvCache[blocks.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = new KvCache();
        }
        return c;
    }

    @Override
    public String toString() {
        return "Gpt(vocab " + config.vocabSize() + ", context " + config.context() + ", d_model " + config.dModel() + ", " + config.layers()
                + " layers, " + config.heads() + " heads" + (config.tieWeights() ? ", head tied to the embedding" : "") + ")";
    }
}
