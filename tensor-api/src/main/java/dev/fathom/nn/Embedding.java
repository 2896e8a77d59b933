package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

/**
 * A lookup table {@code [num_embeddings, embedding_dim]} initialized N(0, 1) as PyTorch; see
 * {@link Functional#embedding}. With a padding index, that row starts at zeros and is never trained.
 */
public final class Embedding extends Module {
    private final int numEmbeddings;
    private final int embeddingDim;
    private final Parameter weight;
    /** The padding row, in [0, numEmbeddings), or -1 for none. */
    private final int paddingIdx;

    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, Generator.global());
    }

    public Embedding(int numEmbeddings, int embeddingDim, Generator generator) {
        this(numEmbeddings, embeddingDim, generator, null);
    }

    /** With row {@code paddingIdx} (from the end when negative, as PyTorch's {@code padding_idx}) kept at zeros and out of training. */
    public Embedding(int numEmbeddings, int embeddingDim, int paddingIdx) {
        this(numEmbeddings, embeddingDim, paddingIdx, Generator.global());
    }

    /** As the constructor above, drawing the other rows from {@code generator}. */
    public Embedding(int numEmbeddings, int embeddingDim, int paddingIdx, Generator generator) {
        this(numEmbeddings, embeddingDim, generator, paddingIdx);
    }

    private Embedding(int numEmbeddings, int embeddingDim, Generator generator, Integer paddingIdx) {
        if (numEmbeddings < 1 || embeddingDim < 1) {
            throw new IllegalArgumentException("Embedding: num_embeddings and embedding_dim must be >= 1, got " + numEmbeddings + " and "
                    + embeddingDim);
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = paddingIdx == null ? -1 : Checks.paddingRow("Embedding", paddingIdx, numEmbeddings);
        this.weight = parameter("weight", Tensor.zeros(DType.F32, numEmbeddings, embeddingDim));
        Init.normal(weight.data(), 0, 1, generator);
        if (this.paddingIdx >= 0) {
            try (var g = Autograd.noGrad(); var row = weight.data().select(0, this.paddingIdx)) {
                row.zeroInPlace();
            }
        }
    }

    /** The embeddings of the I64 {@code ids}: shape {@code [ids..., embedding_dim]}. */
    @Override
    public Tensor forward(Tensor ids) {
        return paddingIdx < 0 ? Functional.embedding(ids, weight.data()) : Functional.embedding(ids, weight.data(), paddingIdx);
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    public String toString() {
        return "Embedding(" + numEmbeddings + ", " + embeddingDim + (paddingIdx < 0 ? "" : ", padding_idx=" + paddingIdx) + ")";
    }
}
