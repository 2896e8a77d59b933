package dev.fathom.optim;

import dev.fathom.nn.Parameter;
import dev.fathom.spi.AdamUpdate;
import dev.fathom.tensor.Tensor;

import java.util.List;

/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015), with the AMSGrad
 * variant (Reddi, Kale and Kumar, "On the Convergence of Adam and Beyond", ICLR 2018); exactly
 * {@code torch.optim.Adam}'s update at step t:
 *
 * <pre>
 * g = grad + weightDecay·p                        (L2 penalty, when weightDecay != 0)
 * m = beta1·m + (1 - beta1)·g
 * v = beta2·v + (1 - beta2)·g²
 * vmax = max(vmax, v); use vmax for v below      (amsgrad)
 * p = p - lr/(1 - beta1^t) · m / (sqrt(v)/sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * The weight decay here is the coupled L2 penalty; for decoupled decay use {@link AdamW} (see the
 * package note). State per parameter: {@code exp_avg}, {@code exp_avg_sq} and, with amsgrad,
 * {@code max_exp_avg_sq}. The step runs the backend's fused {@code adamUpdate} kernel when it can
 * ({@link FusedSteps}), the tensor-op composite ({@link #adamStep}) otherwise.
 */
public final class Adam extends Optimizer {
    /** Adam's hyperparameters; {@code weightDecay} is the L2 penalty. */
    public record Config(double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        public Config {
            Hyper.nonNegative("Adam", "lr", lr);
            Hyper.unitInterval("Adam", "beta1", beta1);
            Hyper.unitInterval("Adam", "beta2", beta2);
            Hyper.nonNegative("Adam", "eps", eps);
            Hyper.nonNegative("Adam", "weightDecay", weightDecay);
        }

        /** The paper's and PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay, no AMSGrad. */
        public static Config defaults() {
            return new Config(1e-3, 0.9, 0.999, 1e-8, 0, false);
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

    public Adam(List<Parameter> params, Config config) {
        super(params, Hyper.config("Adam", config).lr());
        this.config = config;
    }

    /** Adam with learning rate {@code lr} and the other defaults. */
    public Adam(List<Parameter> params, double lr) {
        this(params, Config.defaults().withLr(lr));
    }

    @Override
    protected void update(int index, Tensor param, Tensor grad, long step) {
        if (fusedStep(this, index, param, grad, step, new AdamUpdate(lr(), config.beta1(), config.beta2(), config.eps(), config.weightDecay(),
                false, config.amsgrad(), step))) {
            return;
        }
        Tensor g = config.weightDecay() != 0 ? grad.add(param.mul(config.weightDecay())) : grad;
        adamStep(this, index, param, g, step, lr(), config.beta1(), config.beta2(), config.eps(), config.amsgrad());
    }

    /**
     * The step by the backend's fused {@code adamUpdate} kernel ({@link FusedSteps}), shared with
     * {@link AdamW}; false (nothing changed but the state's creation) when it cannot serve.
     */
    static boolean fusedStep(Optimizer opt, int index, Tensor param, Tensor grad, long step, AdamUpdate hyper) {
        Tensor m = opt.state(index, "exp_avg", Tensor::zerosLike);
        Tensor v = opt.state(index, "exp_avg_sq", Tensor::zerosLike);
        Tensor vmax = hyper.amsgrad() ? opt.state(index, "max_exp_avg_sq", Tensor::zerosLike) : null;
        return FusedSteps.adam(param, grad, m, v, vmax, hyper);
    }

    /** The moment updates and the step shared with {@link AdamW}; {@code g} already holds any L2 term. */
    static void adamStep(Optimizer opt, int index, Tensor param, Tensor g, long step, double lr, double beta1, double beta2, double eps,
            boolean amsgrad) {
        Tensor m = opt.state(index, "exp_avg", Tensor::zerosLike);
        Tensor v = opt.state(index, "exp_avg_sq", Tensor::zerosLike);
        m.mulInPlace(beta1).addInPlace(g, 1 - beta1);
        v.mulInPlace(beta2).addInPlace(g.mul(g), 1 - beta2);
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        Tensor second = v;
        if (amsgrad) {
            Tensor vmax = opt.state(index, "max_exp_avg_sq", Tensor::zerosLike);
            vmax.copyFrom(vmax.maximum(v));
            second = vmax;
        }
        Tensor denom = second.sqrt().div(biasCorrection2Sqrt).add(eps);
        param.addInPlace(m.div(denom), -lr / biasCorrection1);
    }

    static List<String> adamStateNames(boolean amsgrad) {
        return amsgrad ? List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq") : List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    protected List<String> stateNames() {
        return adamStateNames(config.amsgrad());
    }

    @Override
    protected Config config() {
        return config;
    }
}
