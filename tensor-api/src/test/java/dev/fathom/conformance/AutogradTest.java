package dev.fathom.conformance;

import dev.fathom.autograd.Autograd;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The semantics of the tape: accumulation into {@code .grad()}, no-grad regions, freed and
 * retained graphs, implied output gradients, {@code Autograd.grad} (including a Hessian-vector
 * product through {@code createGraph}) and the check that saved tensors were not modified.
 */
class AutogradTest extends ConformanceTest {

    private static Tensor x() {
        return Tensor.of(new double[] {0.5, -1, 2, 3}, 2, 2).requiresGrad(true);
    }

    @BackendTest
    void gradientsAccumulateAcrossBackwardCalls(TestBackends.Case backend) {
        use(backend);
        Tensor x = x();
        x.mul(x).sum().backward();
        Check.exact("d sum(x²)/dx", x.grad(), Ref.of(new int[] {2, 2}, 1, -2, 4, 6), DType.F64);
        x.mul(x).sum().backward();
        Check.exact("a second backward adds", x.grad(), Ref.of(new int[] {2, 2}, 2, -4, 8, 12), DType.F64);
        x.mul(3).sum().backward();
        Check.exact("and a third", x.grad(), Ref.of(new int[] {2, 2}, 5, -1, 11, 15), DType.F64);
        x.setGrad(null);
        assertNull(x.grad(), "setGrad(null) clears");
    }

    @BackendTest
    void gradientsReachLeavesThroughViewsAndBroadcasting(TestBackends.Case backend) {
        use(backend);
        Tensor w = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor b = Tensor.scalar(0.5).requiresGrad(true);
        Tensor x = Tensor.of(new double[] {1, 0, 2, 1, 1, 1}, 2, 3);
        x.mul(w).add(b).t().narrow(0, 1, 2).sum().backward();
        Check.exact("w gets column sums over rows 1..2", w.grad(), Ref.of(new int[] {3}, 0, 1, 3), DType.F64);
        Check.exact("the broadcast scalar gets the count", b.grad(), Ref.scalar(4), DType.F64);
        Tensor used = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        used.select(0, 1).mul(used.select(0, 1)).backward();
        Check.exact("select twice the same element", used.grad(), Ref.of(new int[] {2}, 0, 4), DType.F64);
    }

    /**
     * Slices of one leaf (a packed attention projection's three row blocks): the first slice's
     * gradient makes {@code .grad}, the others add into their rows of it in place, and a row no
     * slice reads stays zero; a second backward and a pre-existing {@code .grad} add as before.
     */
    @BackendTest
    void slicesOfALeafAddIntoItsGradient(TestBackends.Case backend) {
        use(backend);
        Tensor w = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 6, 2).requiresGrad(true);
        Tensor a = Tensor.of(new double[] {1, -1, 2, -2}, 2, 2), b = Tensor.of(new double[] {3, 4}, 2);
        Runnable pass = () -> w.narrow(0, 0, 2).mul(a).sum().add(w.narrow(0, 2, 2).mul(3).sum())
                .add(w.select(0, 5).mul(b).sum()).add(w.narrow(0, 1, 2).sum()).backward();
        pass.run();
        // Rows 0-1: a (and 1 more on row 1), rows 2-3: 3 (and 1 more on row 2), row 4: nothing, row 5: b.
        Ref want = Ref.of(new int[] {6, 2}, 1, -1, 3, -1, 4, 4, 3, 3, 0, 0, 3, 4);
        Check.exact("w's gradient from four slices", w.grad(), want, DType.F64);
        pass.run();
        Check.exact("a second backward adds", w.grad(), Ref.of(new int[] {6, 2}, 2, -2, 6, -2, 8, 8, 6, 6, 0, 0, 6, 8), DType.F64);
        w.setGrad(Tensor.ones(DType.F64, 6, 2));
        pass.run();
        Check.exact("onto a .grad set by hand", w.grad(), Ref.of(new int[] {6, 2}, 2, 0, 4, 0, 5, 5, 4, 4, 1, 1, 4, 5), DType.F64);
        Tensor[] g = Autograd.grad(new Tensor[] {w.narrow(0, 0, 1).sum().add(w.narrow(0, 5, 1).sum())}, null, new Tensor[] {w}, false, false);
        Check.exact("Autograd.grad leaves .grad alone", g[0], Ref.of(new int[] {6, 2}, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1), DType.F64);
        Check.exact("and .grad is as it was", w.grad(), Ref.of(new int[] {6, 2}, 2, 0, 4, 0, 5, 5, 4, 4, 1, 1, 4, 5), DType.F64);
    }

    /**
     * One gradient tensor reaching several consumers: add hands the same g to both inputs (the pass
     * stores it in both places without a copy, but hands out two results), and an op's result used
     * twice (exp and sin of x, summed) routes one g into two branches.
     */
    @BackendTest
    void oneGradientFeedingSeveralInputs(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor y = Tensor.of(new double[] {3, 4}, 2).requiresGrad(true);
        Tensor[] g = Autograd.grad(new Tensor[] {x.add(y).sum()}, new Tensor[] {x, y}, false);
        Check.exact("d/dx Σ(x + y)", g[0], Ref.of(new int[] {2}, 1, 1), DType.F64);
        Check.exact("d/dy Σ(x + y)", g[1], Ref.of(new int[] {2}, 1, 1), DType.F64);
        g[0].mulInPlace(5);
        Check.exact("each result is a tensor of its own", g[1], Ref.of(new int[] {2}, 1, 1), DType.F64);
        Check.exact("that can be written in place (sum's gradient is an expanded view; the result is not)", g[0],
                Ref.of(new int[] {2}, 5, 5), DType.F64);
        x.exp().add(x.sin()).sum().backward();
        Check.close("d/dx Σ(exp x + sin x)", x.grad(), Ref.of(new int[] {2}, Math.exp(1) + Math.cos(1), Math.exp(2) + Math.cos(2)), DType.F64);
        Tensor h = x.mul(2);
        h.add(h).mul(h).sum().backward();
        Check.close("d/dx Σ(2h·h), h = 2x, accumulated", x.grad(),
                Ref.of(new int[] {2}, Math.exp(1) + Math.cos(1) + 16, Math.exp(2) + Math.cos(2) + 32), DType.F64);
    }

    /**
     * A leaf's first gradient may be the very tensor the pass made (no copy), but never one that
     * anything else sees: two leaves fed one gradient by add, two fed views of one gradient by cat,
     * and a leaf given the caller's own output gradient each get a .grad of their own.
     */
    @BackendTest
    void eachLeafOwnsItsGradient(TestBackends.Case backend) {
        use(backend);
        Tensor a = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {3, 4}, 2).requiresGrad(true);
        a.add(b).mul(Tensor.of(new double[] {5, 7}, 2)).sum().backward();
        a.grad().addInPlace(a.grad());
        Check.exact("a's gradient, doubled in place", a.grad(), Ref.of(new int[] {2}, 10, 14), DType.F64);
        Check.exact("b's gradient, untouched by a's", b.grad(), Ref.of(new int[] {2}, 5, 7), DType.F64);

        // Columns of one [2, 3] output gradient: strided views of it, so copies, and contiguous ones.
        Tensor u = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor v = Tensor.of(new double[] {5, 6}, 2, 1).requiresGrad(true);
        Tensor.cat(1, u, v).mul(Tensor.of(new double[] {2, 3, 4, 5, 6, 7}, 2, 3)).sum().backward();
        assertTrue(u.grad().isContiguous() && v.grad().isContiguous(), "a leaf's gradient is contiguous");
        // d/du Σ(cat(u, v)·m) is m's first two columns, d/dv its last.
        Check.exact("u's gradient, columns 0 and 1 of the output gradient", u.grad(), Ref.of(new int[] {2, 2}, 2, 3, 5, 6), DType.F64);
        u.grad().zeroInPlace();
        Check.exact("u's gradient, zeroed in place", u.grad(), Ref.of(new int[] {2, 2}, 0, 0, 0, 0), DType.F64);
        Check.exact("v's gradient, a column of the same output gradient as u's", v.grad(), Ref.of(new int[] {2, 1}, 4, 7), DType.F64);

        Tensor leaf = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor given = Tensor.of(new double[] {6, 8}, 2);
        Autograd.backward(leaf, given, false);
        given.zeroInPlace();
        Check.exact("a leaf's gradient is not the caller's tensor", leaf.grad(), Ref.of(new int[] {2}, 6, 8), DType.F64);
    }

    /**
     * A linear layer's weight, used as {@code w.t()}, gets its first gradient without a copy: the
     * matmul hands the gradient of {@code w.t()} as the transpose of a row-major product, the
     * transpose's incoming gradient is released as soon as its formula has run, and the view that
     * is left is the only tensor on its storage. So a pass that makes {@code .grad} hands out no
     * more buffers than one that adds into it.
     */
    @BackendTest
    void aLinearWeightTakesItsFirstGradientWithoutACopy(TestBackends.Case backend) {
        Kernels k = Backends.kernels(use(backend));
        Tensor w = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2).requiresGrad(true);
        Tensor x = Tensor.of(new double[] {1, 0, 2, 1, -1, 3, 0.5, 2}, 4, 2);
        Tensor c = Tensor.of(new double[] {1, 2, 3, 0, 1, 0, -1, 1, 2, 1, 1, 1}, 4, 3);
        long[] handedOut = new long[2];
        for (int pass = 0; pass < 2; pass++) {
            long before = k.memoryStats().allocations();
            try (Scope s = Scope.open()) {
                x.matmul(w.t()).mul(c).sum().backward();
            }
            handedOut[pass] = k.memoryStats().allocations() - before;
        }
        // d/dw Σ c ∘ (x·wᵀ) = cᵀ·x, twice.
        Check.exact("w's gradient after two passes", w.grad(), Ref.of(new int[] {3, 2}, 2 * 2.5, 2 * -1, 2 * 3.5, 2 * 6, 2 * 1.5, 2 * 8),
                DType.F64);
        assertTrue(w.grad().isContiguous(), "in w's own layout");
        assertEquals(handedOut[1], handedOut[0], "buffers handed out by the pass that made .grad and the one that added into it");
    }

    /** At ties the gradient is shared equally (maximum/minimum and the max/min reductions), as in PyTorch. */
    @BackendTest
    void tiesShareTheGradient(TestBackends.Case backend) {
        use(backend);
        Tensor a = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1, 5, 0}, 3).requiresGrad(true);
        a.maximum(b).sum().backward();
        Check.exact("maximum: a's share", a.grad(), Ref.of(new int[] {3}, 0.5, 0, 1), DType.F64);
        Check.exact("maximum: b's share", b.grad(), Ref.of(new int[] {3}, 0.5, 1, 0), DType.F64);
        a.setGrad(null);
        b.setGrad(null);
        a.minimum(b).sum().backward();
        Check.exact("minimum: a's share", a.grad(), Ref.of(new int[] {3}, 0.5, 1, 0), DType.F64);
        Tensor m = Tensor.of(new double[] {3, 1, 3, 2, 2, 2}, 2, 3).requiresGrad(true);
        m.max(1).sum().backward();
        Check.exact("max(dim) splits among tied maxima", m.grad(), Ref.of(new int[] {2, 3}, 0.5, 0, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3), DType.F64);
        m.setGrad(null);
        m.min().backward();
        Check.exact("min() of all", m.grad(), Ref.of(new int[] {2, 3}, 0, 1, 0, 0, 0, 0), DType.F64);
        Tensor c = Tensor.of(new double[] {-1, 0, 2, 5}, 4).requiresGrad(true);
        c.clamp(0, 2).sum().backward();
        Check.exact("clamp passes the gradient inside and at the bounds", c.grad(), Ref.of(new int[] {4}, 0, 1, 1, 0), DType.F64);
        c.setGrad(null);
        c.relu().sum().backward();
        Check.exact("relu'(0) = 0", c.grad(), Ref.of(new int[] {4}, 0, 0, 1, 1), DType.F64);
        c.setGrad(null);
        c.abs().sum().backward();
        Check.exact("abs'(0) = 0 (sign)", c.grad(), Ref.of(new int[] {4}, -1, 0, 1, 1), DType.F64);
    }

    @BackendTest
    void noGradRecordsNothing(TestBackends.Case backend) {
        use(backend);
        Tensor x = x();
        Tensor y;
        try (var g = Autograd.noGrad()) {
            assertFalse(Autograd.isGradEnabled());
            y = x.mul(2).exp().sum();
            try (var on = Autograd.enableGrad()) {
                assertTrue(x.mul(2).requiresGrad(), "enableGrad inside noGrad records again");
            }
            assertFalse(Autograd.isGradEnabled(), "closing enableGrad restores noGrad");
        }
        assertTrue(Autograd.isGradEnabled());
        assertFalse(y.requiresGrad(), "computed under noGrad: no history");
        assertNull(y.gradFn());
        assertTrue(y.isLeaf());
        assertThrows(IllegalStateException.class, y::backward);
        Tensor z = x.mul(2);
        assertNotNull(z.gradFn(), "recording resumes after noGrad");
        assertFalse(x.detach().requiresGrad(), "detach cuts the history");
        assertFalse(x.to(DType.I64).requiresGrad(), "integer results carry no gradient");
        assertFalse(x.gt(0).requiresGrad(), "comparisons carry no gradient");
    }

    @BackendTest
    void secondBackwardThroughFreedGraphThrows(TestBackends.Case backend) {
        use(backend);
        Tensor x = x();
        Tensor loss = x.exp().sum();
        loss.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("freed"), "the message says the graph was freed: " + e.getMessage());
        assertTrue(e.getMessage().contains("retainGraph"), "and how to keep it: " + e.getMessage());
    }

    @BackendTest
    void retainGraphAllowsASecondPass(TestBackends.Case backend) {
        use(backend);
        Tensor x = x();
        Tensor loss = x.mul(x).sum();
        loss.backward(true);
        loss.backward();
        Check.exact("two passes over one retained graph", x.grad(), Ref.of(new int[] {2, 2}, 2, -4, 8, 12), DType.F64);
    }

    @BackendTest
    void nonScalarBackwardNeedsAGradient(TestBackends.Case backend) {
        use(backend);
        Tensor x = x();
        Tensor y = x.mul(2).sum(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, y::backward);
        assertTrue(e.getMessage().contains("[2]") && e.getMessage().contains("backward"), e.getMessage());
        y.backward(Tensor.of(new double[] {1, 10}, 2));
        Check.exact("backward(gradient) weights the outputs", x.grad(), Ref.of(new int[] {2, 2}, 2, 20, 2, 20), DType.F64);
        Tensor one = x.sum(new int[] {0, 1}, true);
        one.backward();
        Check.exact("a [1, 1] output is a scalar for backward", x.grad(), Ref.of(new int[] {2, 2}, 3, 21, 3, 21), DType.F64);
    }

    @BackendTest
    void gradReturnsGradientsWithoutTouchingDotGrad(TestBackends.Case backend) {
        use(backend);
        Tensor x = x();
        Tensor unused = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor[] g = Autograd.grad(new Tensor[] {x.mul(x).sum()}, new Tensor[] {x, unused}, false);
        Check.exact("Autograd.grad", g[0], Ref.of(new int[] {2, 2}, 1, -2, 4, 6), DType.F64);
        Check.exact("an input the output does not depend on gets zeros", g[1], Ref.of(new int[] {2}, 0, 0), DType.F64);
        assertNull(x.grad(), "Autograd.grad does not accumulate into .grad()");
        assertFalse(g[0].requiresGrad(), "without createGraph the result is not differentiable");
        assertThrows(IllegalArgumentException.class, () -> Autograd.grad(new Tensor[] {x.sum()}, new Tensor[] {Tensor.ones(2)}, false),
                "an input that does not require grad");
    }

    /** f = Σ x³: ∇f = 3x², and the Hessian-vector product H·v = 6·x·v (H is diagonal). */
    @BackendTest
    void hessianVectorProductThroughCreateGraph(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new double[] {0.5, -1, 2, 3}, 4).requiresGrad(true);
        Tensor v = Tensor.of(new double[] {1, 2, -1, 0.5}, 4);
        Tensor[] grad = Autograd.grad(new Tensor[] {x.pow(3).sum()}, new Tensor[] {x}, true);
        Check.close("∇Σx³ = 3x²", grad[0], Ref.of(new int[] {4}, 0.75, 3, 12, 27), DType.F64);
        assertTrue(grad[0].requiresGrad(), "with createGraph the gradient is part of a new graph");
        Tensor[] hv = Autograd.grad(new Tensor[] {grad[0].mul(v).sum()}, new Tensor[] {x}, false);
        Check.close("H·v = 6·x·v", hv[0], Ref.of(new int[] {4}, 3, -12, -12, 9), DType.F64);
        // The same through a matmul: f = ½ xᵀ A x with symmetric A has H = A, so H·v = A·v.
        Tensor a = Tensor.of(new double[] {2, 1, 0, 1, 3, 1, 0, 1, 4}, 3, 3);
        Tensor y = Tensor.of(new double[] {1, -1, 2}, 3).requiresGrad(true);
        Tensor f = y.matmul(a.matmul(y)).mul(0.5);
        Tensor[] gy = Autograd.grad(new Tensor[] {f}, new Tensor[] {y}, true);
        Tensor[] hy = Autograd.grad(new Tensor[] {gy[0].mul(Tensor.of(new double[] {1, 0, -1}, 3)).sum()}, new Tensor[] {y}, false);
        Check.close("H·v of a quadratic form", hy[0], Ref.of(new int[] {3}, 2, 0, -4), DType.F64);
    }

    @BackendTest
    void modifyingASavedTensorInPlaceIsCaught(TestBackends.Case backend) {
        use(backend);
        Tensor x = x();
        Tensor c = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor loss = x.mul(c).sum();
        c.addInPlace(Tensor.ones(DType.F64, 2, 2));
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("modified in place") && e.getMessage().contains("mul"), e.getMessage());

        Tensor y = x.exp();
        Tensor sum = y.sum();
        try (var g = Autograd.noGrad()) {
            y.mulInPlace(2.0);
        }
        e = assertThrows(IllegalStateException.class, sum::backward);
        assertTrue(e.getMessage().contains("exp"), "names the op whose saved output changed: " + e.getMessage());
    }

    @BackendTest
    void inPlaceOnTensorsThatRequireGradIsRefusedWhileRecording(TestBackends.Case backend) {
        use(backend);
        Tensor x = x();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.addInPlace(Tensor.ones(DType.F64, 2, 2)));
        assertTrue(e.getMessage().contains("addInPlace") && e.getMessage().contains("noGrad"), e.getMessage());
        try (var g = Autograd.noGrad()) {
            x.addInPlace(Tensor.ones(DType.F64, 2, 2), -0.5);
        }
        assertArrayEquals(new double[] {0, -1.5, 1.5, 2.5}, x.toDoubleArray(), "under noGrad the update goes through (an optimizer step)");
        IllegalStateException notLeaf = assertThrows(IllegalStateException.class, () -> x.mul(2).requiresGrad(false));
        assertTrue(notLeaf.getMessage().contains("detach"), notLeaf.getMessage());
    }
}
