package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

/** A lookup table {@code [num_embeddings, embedding_dim]} initialized N(0, 1) as PyTorch; see {@link Functional#embedding}. */
public final class Embedding extends Module {
    private final int numEmbeddings;
    private final int embeddingDim;
    private final Parameter weight;

    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, Generator.global());
    }

    public Embedding(int numEmbeddings, int embeddingDim, Generator generator) {
        if (numEmbeddings < 1 || embeddingDim < 1) {
            throw new IllegalArgumentException("Embedding: num_embeddings and embedding_dim must be >= 1, got " + numEmbeddings + " and "
                    + embeddingDim);
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.weight = parameter("weight", Tensor.zeros(DType.F32, numEmbeddings, embeddingDim));
        Init.normal(weight.data(), 0, 1, generator);
    }

    /** The embeddings of the I64 {@code ids}: shape {@code [ids..., embedding_dim]}. */
    @Override
    public Tensor forward(Tensor ids) {
        return Functional.embedding(ids, weight.data());
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    public String toString() {
        return "Embedding(" + numEmbeddings + ", " + embeddingDim + ")";
    }
}
