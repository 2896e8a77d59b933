package dev.fathom.cli;

import dev.fathom.nn.Parameter;
import dev.fathom.optim.Adagrad;
import dev.fathom.optim.Adam;
import dev.fathom.optim.AdamW;
import dev.fathom.optim.Optimizer;
import dev.fathom.optim.RMSProp;
import dev.fathom.optim.SGD;

import java.util.List;

/** The optimizers {@code --optimizer} names, each with PyTorch's defaults except the learning rate. */
enum OptimizerChoice {
    adam, adamw, sgd, rmsprop, adagrad;

    Optimizer create(List<Parameter> params, double lr) {
        return switch (this) {
            case adam -> new Adam(params, Adam.Config.defaults().withLr(lr));
            case adamw -> new AdamW(params, AdamW.Config.defaults().withLr(lr));
            case sgd -> new SGD(params, SGD.Config.defaults().withLr(lr).withMomentum(0.9));
            case rmsprop -> new RMSProp(params, RMSProp.Config.defaults().withLr(lr));
            case adagrad -> new Adagrad(params, Adagrad.Config.defaults().withLr(lr));
        };
    }
}
