package dev.fathom.optim;

import dev.fathom.nn.Parameter;
import dev.fathom.spi.SgdUpdate;
import dev.fathom.tensor.Tensor;

import java.util.List;

/**
 * Stochastic gradient descent with optional momentum (Polyak's heavy ball, or Nesterov's as
 * reformulated by Sutskever et al. 2013), exactly {@code torch.optim.SGD}'s update:
 *
 * <pre>
 * g = grad + weightDecay·p                                (L2 penalty, when weightDecay != 0)
 * b = g at the first step, else momentum·b + (1 - dampening)·g      (when momentum != 0)
 * g = g + momentum·b if nesterov, else b
 * p = p - lr·g
 * </pre>
 *
 * State per parameter: {@code momentum_buffer} (when momentum != 0). The step runs the backend's
 * fused {@code sgdUpdate} kernel when it can ({@link FusedSteps}), the tensor-op composite otherwise.
 */
public final class SGD extends Optimizer {
    /**
     * SGD's hyperparameters. Nesterov momentum needs {@code momentum > 0} and {@code dampening == 0}.
     * {@code weightDecay} is the L2 penalty (see the package note).
     */
    public record Config(double lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        public Config {
            Hyper.nonNegative("SGD", "lr", lr);
            Hyper.nonNegative("SGD", "momentum", momentum);
            Hyper.closedUnitInterval("SGD", "dampening", dampening);
            Hyper.nonNegative("SGD", "weightDecay", weightDecay);
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("SGD: nesterov momentum requires momentum > 0 and dampening == 0, got momentum=" + momentum
                        + ", dampening=" + dampening);
            }
        }

        /** PyTorch's defaults: lr 1e-3, no momentum, no dampening, no Nesterov, no weight decay. */
        public static Config defaults() {
            return new Config(1e-3, 0, 0, false, 0);
        }

        public Config withLr(double v) {
            return new Config(v, momentum, dampening, nesterov, weightDecay);
        }

        public Config withMomentum(double v) {
            return new Config(lr, v, dampening, nesterov, weightDecay);
        }

        public Config withDampening(double v) {
            return new Config(lr, momentum, v, nesterov, weightDecay);
        }

        public Config withNesterov(boolean v) {
            return new Config(lr, momentum, dampening, v, weightDecay);
        }

        public Config withWeightDecay(double v) {
            return new Config(lr, momentum, dampening, nesterov, v);
        }
    }

    private final Config config;

    public SGD(List<Parameter> params, Config config) {
        super(params, Hyper.config("SGD", config).lr());
        this.config = config;
    }

    /** Plain SGD with learning rate {@code lr} and the other defaults. */
    public SGD(List<Parameter> params, double lr) {
        this(params, Config.defaults().withLr(lr));
    }

    @Override
    protected void update(int index, Tensor param, Tensor grad, long step) {
        double m = config.momentum();
        boolean[] fresh = {false};
        Tensor buf = m == 0 ? null : state(index, "momentum_buffer", p -> {
            fresh[0] = true;
            return Tensor.zerosLike(p);
        });
        SgdUpdate hyper = new SgdUpdate(lr(), m, config.dampening(), config.weightDecay(), config.nesterov(), fresh[0]);
        if (!FusedSteps.sgd(param, grad, buf, hyper)) {
            compositeUpdate(param, grad, buf, fresh[0]);
        }
    }

    /** The update as tensor ops (its definition), for a backend without the fused kernel. */
    private void compositeUpdate(Tensor param, Tensor grad, Tensor buf, boolean firstStep) {
        Tensor g = grad;
        if (config.weightDecay() != 0) {
            g = g.add(param.mul(config.weightDecay()));
        }
        double m = config.momentum();
        if (m != 0) {
            if (firstStep) {
                buf.copyFrom(g);
            } else {
                buf.mulInPlace(m).addInPlace(g, 1 - config.dampening());
            }
            g = config.nesterov() ? g.add(buf.mul(m)) : buf;
        }
        param.addInPlace(g, -lr());
    }

    @Override
    protected List<String> stateNames() {
        return config.momentum() != 0 ? List.of("momentum_buffer") : List.of();
    }

    @Override
    protected Config config() {
        return config;
    }
}
