package dev.fathom.train;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2015) with bias correction,
 * written with in-place tensor ops under {@link Autograd#noGrad()}. A stand-in until
 * {@code dev.fathom.optim} has optimizers.
 *
 * <p>Call order: construct, then per step {@code loss.backward()}, {@link #step()},
 * {@link #zeroGrad()}; finally {@link #close()}. The moment estimates live on the parameters'
 * device, outside every scope.
 */
final class Adam implements AutoCloseable {
    private final List<Tensor> params;
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();
    private final double lr;
    private final double beta1 = 0.9;
    private final double beta2 = 0.999;
    private final double eps = 1e-8;
    private long t;

    Adam(List<Tensor> params, double lr) {
        this.params = List.copyOf(params);
        this.lr = lr;
        for (Tensor p : this.params) {
            m.add(Scope.escape(Tensor.zerosLike(p)));
            v.add(Scope.escape(Tensor.zerosLike(p)));
        }
    }

    /** {@code p -= lr·m̂/(√v̂ + ε)} for every parameter with a gradient. */
    void step() {
        t++;
        double correction1 = 1 - Math.pow(beta1, t);
        double correction2 = 1 - Math.pow(beta2, t);
        try (GradMode off = Autograd.noGrad(); Scope s = Scope.open()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor g = params.get(i).grad();
                if (g == null) {
                    continue;
                }
                m.get(i).mulInPlace(beta1).addInPlace(g, 1 - beta1);
                v.get(i).mulInPlace(beta2).addInPlace(g.mul(g), 1 - beta2);
                Tensor denominator = v.get(i).div(correction2).sqrt().add(eps);
                params.get(i).addInPlace(m.get(i).div(denominator), -lr / correction1);
            }
        }
    }

    /** Drops the gradients (as PyTorch's {@code zero_grad(set_to_none=True)}); the next backward makes new ones. */
    void zeroGrad() {
        for (Tensor p : params) {
            p.setGrad(null);
        }
    }

    @Override
    public void close() {
        m.forEach(Tensor::close);
        v.forEach(Tensor::close);
    }

    @Override
    public String toString() {
        return "Adam(lr=" + lr + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ")";
    }
}
