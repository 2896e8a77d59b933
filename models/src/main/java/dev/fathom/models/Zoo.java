package dev.fathom.models;

import dev.fathom.nn.Module;
import dev.fathom.tensor.Generator;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/**
 * The models the {@code fathom} command trains, by name, with the input shape each expects per
 * example and its reference training settings: the MLP's and the CNN's from
 * {@code shared/peers/torch/README.md}; the ResNet has no peer, and takes the CNN's.
 */
public enum Zoo {
    /** MLP 784-256-128-10 with ReLU; Adam 1e-3, batch 128, 5 epochs. */
    MLP("mlp", new int[] {784}, 5, g -> new Mlp(g, 784, 256, 128, 10)),
    /** The reference CNN (two 3×3 conv + pool, fc 128); Adam 1e-3, batch 128, 3 epochs. */
    CNN("cnn", new int[] {1, 28, 28}, 3, ConvNet::new),
    /** A small ResNet (16-32-64 basic blocks with batch norm); Adam 1e-3, batch 128, 3 epochs. */
    RESNET("resnet", new int[] {1, 28, 28}, 3, ResNet::new);

    private final String id;
    private final int[] exampleShape;
    private final int referenceEpochs;
    private final Function<Generator, Module> factory;

    Zoo(String id, int[] exampleShape, int referenceEpochs, Function<Generator, Module> factory) {
        this.id = id;
        this.exampleShape = exampleShape;
        this.referenceEpochs = referenceEpochs;
        this.factory = factory;
    }

    /** The model's name on the command line and in checkpoints. */
    public String id() {
        return id;
    }

    /** The shape of one input example, e.g. {@code [784]} or {@code [1, 28, 28]}. */
    public int[] exampleShape() {
        return exampleShape.clone();
    }

    /** Epochs of the reference workload. */
    public int referenceEpochs() {
        return referenceEpochs;
    }

    /** A new, freshly initialized model (from the global generator: seed first). */
    public Module create() {
        return create(Generator.global());
    }

    /** A new model initialized from {@code generator}. */
    public Module create(Generator generator) {
        return factory.apply(java.util.Objects.requireNonNull(generator, "Zoo.create: generator is null (use Generator.global())"));
    }

    /** The model named {@code id}; throws listing the names there are. */
    public static Zoo byId(String id) {
        for (Zoo z : values()) {
            if (z.id.equals(id.toLowerCase(Locale.ROOT))) {
                return z;
            }
        }
        throw new IllegalArgumentException("unknown model \"" + id + "\"; choose one of " + Arrays.stream(values()).map(Zoo::id).toList());
    }
}
