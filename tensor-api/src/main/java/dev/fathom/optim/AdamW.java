package dev.fathom.optim;

import dev.fathom.nn.Parameter;
import dev.fathom.spi.AdamUpdate;
import dev.fathom.tensor.Tensor;

import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019); exactly {@code torch.optim.AdamW}'s update: first
 * {@code p = p - lr·weightDecay·p}, then {@link Adam}'s step on the raw gradient. Unlike Adam's
 * L2 penalty the decay is not rescaled by the adaptive denominator (see the package note). State
 * per parameter as Adam's.
 */
public final class AdamW extends Optimizer {
    /** AdamW's hyperparameters; {@code weightDecay} is decoupled. */
    public record Config(double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        public Config {
            Hyper.nonNegative("AdamW", "lr", lr);
            Hyper.unitInterval("AdamW", "beta1", beta1);
            Hyper.unitInterval("AdamW", "beta2", beta2);
            Hyper.nonNegative("AdamW", "eps", eps);
            Hyper.nonNegative("AdamW", "weightDecay", weightDecay);
        }

        /** PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2, no AMSGrad. */
        public static Config defaults() {
            return new Config(1e-3, 0.9, 0.999, 1e-8, 1e-2, false);
        }

        public Config withLr(double v) {
            return new Config(v, beta1, beta2, eps, weightDecay, amsgrad);
        }

        public Config withBetas(double b1, double b2) {
            return new Config(lr, b1, b2, eps, weightDecay, amsgrad);
        }

        public Config withEps(double v) {
            return new Config(lr, beta1, beta2, v, weightDecay, amsgrad);
        }

        public Config withWeightDecay(double v) {
            return new Config(lr, beta1, beta2, eps, v, amsgrad);
        }

        public Config withAmsgrad(boolean v) {
            return new Config(lr, beta1, beta2, eps, weightDecay, v);
        }
    }

    private final Config config;

    public AdamW(List<Parameter> params, Config config) {
        super(params, Hyper.config("AdamW", config).lr());
        this.config = config;
    }

    @Override
    protected void update(int index, Tensor param, Tensor grad, long step) {
        if (Adam.fusedStep(this, index, param, grad, step, new AdamUpdate(lr(), config.beta1(), config.beta2(), config.eps(),
                config.weightDecay(), true, config.amsgrad(), step))) {
            return;
        }
        if (config.weightDecay() != 0) {
            param.mulInPlace(1 - lr() * config.weightDecay());
        }
        Adam.adamStep(this, index, param, grad, step, lr(), config.beta1(), config.beta2(), config.eps(), config.amsgrad());
    }

    @Override
    protected List<String> stateNames() {
        return Adam.adamStateNames(config.amsgrad());
    }

    @Override
    protected Config config() {
        return config;
    }
}
