package dev.fathom.optim;

import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * RMSProp (Hinton, Coursera "Neural Networks for Machine Learning", lecture 6e, 2012), centered
 * as in Graves, "Generating Sequences With Recurrent Neural Networks", 2013; exactly
 * {@code torch.optim.RMSprop}'s update:
 *
 * <pre>
 * g = grad + weightDecay·p                       (L2 penalty, when weightDecay != 0)
 * s = alpha·s + (1 - alpha)·g²
 * a = alpha·a + (1 - alpha)·g; d = sqrt(s - a²) + eps     (centered)
 *                               d = sqrt(s) + eps          (otherwise)
 * b = momentum·b + g/d; p = p - lr·b              (momentum > 0)
 * p = p - lr·g/d                                  (otherwise)
 * </pre>
 *
 * State per parameter: {@code square_avg}, plus {@code momentum_buffer} (momentum > 0) and
 * {@code grad_avg} (centered), all starting at zero.
 */
public final class RMSProp extends Optimizer {
    /** RMSProp's hyperparameters; {@code alpha} is the smoothing constant, {@code weightDecay} the L2 penalty. */
    public record Config(double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered) {
        public Config {
            Hyper.nonNegative("RMSProp", "lr", lr);
            Hyper.closedUnitInterval("RMSProp", "alpha", alpha);
            Hyper.nonNegative("RMSProp", "eps", eps);
            Hyper.nonNegative("RMSProp", "weightDecay", weightDecay);
            Hyper.nonNegative("RMSProp", "momentum", momentum);
        }

        /** PyTorch's defaults: lr 1e-2, alpha 0.99, eps 1e-8, no weight decay, no momentum, not centered. */
        public static Config defaults() {
            return new Config(1e-2, 0.99, 1e-8, 0, 0, false);
        }

        public Config withLr(double v) {
            return new Config(v, alpha, eps, weightDecay, momentum, centered);
        }

        public Config withAlpha(double v) {
            return new Config(lr, v, eps, weightDecay, momentum, centered);
        }

        public Config withEps(double v) {
            return new Config(lr, alpha, v, weightDecay, momentum, centered);
        }

        public Config withWeightDecay(double v) {
            return new Config(lr, alpha, eps, v, momentum, centered);
        }

        public Config withMomentum(double v) {
            return new Config(lr, alpha, eps, weightDecay, v, centered);
        }

        public Config withCentered(boolean v) {
            return new Config(lr, alpha, eps, weightDecay, momentum, v);
        }
    }

    private final Config config;

    public RMSProp(List<Parameter> params, Config config) {
        super(params, Hyper.config("RMSProp", config).lr());
        this.config = config;
    }

    @Override
    protected void update(int index, Tensor param, Tensor grad, long step) {
        double alpha = config.alpha();
        Tensor g = config.weightDecay() != 0 ? grad.add(param.mul(config.weightDecay())) : grad;
        Tensor s = state(index, "square_avg", Tensor::zerosLike);
        s.mulInPlace(alpha).addInPlace(g.mul(g), 1 - alpha);
        Tensor avg;
        if (config.centered()) {
            Tensor a = state(index, "grad_avg", Tensor::zerosLike);
            a.mulInPlace(alpha).addInPlace(g, 1 - alpha);
            avg = s.sub(a.mul(a)).sqrt();
        } else {
            avg = s.sqrt();
        }
        avg = avg.add(config.eps());
        if (config.momentum() > 0) {
            Tensor b = state(index, "momentum_buffer", Tensor::zerosLike);
            b.mulInPlace(config.momentum()).addInPlace(g.div(avg));
            param.addInPlace(b, -lr());
        } else {
            param.addInPlace(g.div(avg), -lr());
        }
    }

    @Override
    protected List<String> stateNames() {
        List<String> names = new ArrayList<>(List.of("square_avg"));
        if (config.momentum() > 0) {
            names.add("momentum_buffer");
        }
        if (config.centered()) {
            names.add("grad_avg");
        }
        return names;
    }

    @Override
    protected Config config() {
        return config;
    }
}
