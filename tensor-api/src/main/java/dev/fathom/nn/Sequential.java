package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

import java.util.List;

/** Modules applied one after another; children are named "0", "1", … as in PyTorch. */
public final class Sequential extends Module {
    private final List<Module> layers;

    public Sequential(Module... layers) {
        for (int i = 0; i < layers.length; i++) {
            java.util.Objects.requireNonNull(layers[i], "Sequential: layer " + i + " is null");
        }
        this.layers = List.of(layers);
        for (int i = 0; i < layers.length; i++) {
            child(Integer.toString(i), layers[i]);
        }
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : layers) {
            x = m.forward(x);
        }
        return x;
    }

    /** Layer {@code i}. */
    public Module get(int i) {
        if (i < 0 || i >= layers.size()) {
            throw new IndexOutOfBoundsException("Sequential.get: index " + i + " is outside [0, " + layers.size() + ") for its " + layers.size()
                    + " layer(s)");
        }
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }
}
