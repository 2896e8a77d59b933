package dev.fathom.optim;

import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Tensor;

import java.util.List;

/**
 * Adagrad (Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization", JMLR 2011); exactly {@code torch.optim.Adagrad}'s update at step t:
 *
 * <pre>
 * g = grad + weightDecay·p                     (L2 penalty, when weightDecay != 0)
 * clr = lr / (1 + (t - 1)·lrDecay)
 * s = s + g²                                   (s starts at initialAccumulatorValue)
 * p = p - clr · g / (sqrt(s) + eps)
 * </pre>
 *
 * State per parameter: {@code sum}.
 */
public final class Adagrad extends Optimizer {
    /** Adagrad's hyperparameters; {@code weightDecay} is the L2 penalty. */
    public record Config(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double eps) {
        public Config {
            Hyper.nonNegative("Adagrad", "lr", lr);
            Hyper.nonNegative("Adagrad", "lrDecay", lrDecay);
            Hyper.nonNegative("Adagrad", "weightDecay", weightDecay);
            Hyper.nonNegative("Adagrad", "initialAccumulatorValue", initialAccumulatorValue);
            Hyper.nonNegative("Adagrad", "eps", eps);
        }

        /** PyTorch's defaults: lr 1e-2, no lr decay, no weight decay, accumulator 0, eps 1e-10. */
        public static Config defaults() {
            return new Config(1e-2, 0, 0, 0, 1e-10);
        }

        public Config withLr(double v) {
            return new Config(v, lrDecay, weightDecay, initialAccumulatorValue, eps);
        }

        public Config withLrDecay(double v) {
            return new Config(lr, v, weightDecay, initialAccumulatorValue, eps);
        }

        public Config withWeightDecay(double v) {
            return new Config(lr, lrDecay, v, initialAccumulatorValue, eps);
        }

        public Config withInitialAccumulatorValue(double v) {
            return new Config(lr, lrDecay, weightDecay, v, eps);
        }

        public Config withEps(double v) {
            return new Config(lr, lrDecay, weightDecay, initialAccumulatorValue, v);
        }
    }

    private final Config config;

    public Adagrad(List<Parameter> params, Config config) {
        super(params, Hyper.config("Adagrad", config).lr());
        this.config = config;
    }

    @Override
    protected void update(int index, Tensor param, Tensor grad, long step) {
        Tensor g = config.weightDecay() != 0 ? grad.add(param.mul(config.weightDecay())) : grad;
        double clr = lr() / (1 + (step - 1) * config.lrDecay());
        Tensor s = state(index, "sum", p -> Tensor.fullLike(p, config.initialAccumulatorValue()));
        s.addInPlace(g.mul(g));
        param.addInPlace(g.div(s.sqrt().add(config.eps())), -clr);
    }

    @Override
    protected List<String> stateNames() {
        return List.of("sum");
    }

    @Override
    protected Config config() {
        return config;
    }
}
