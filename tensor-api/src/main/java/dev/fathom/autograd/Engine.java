package dev.fathom.autograd;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.KernelOps;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks the graph from the outputs back to the leaves in reverse topological order, calling each
 * node's formula once with the sum of the gradients that reached it.
 *
 * <p>Without createGraph the pass runs in no-grad mode inside its own scope: every intermediate
 * gradient is closed when the pass ends (or earlier, once consumed), and only the leaves' grads or
 * the returned gradients survive. With createGraph the pass is recorded and its tensors belong to
 * the caller's scope, because they are part of the new graph.
 */
final class Engine {
    private Engine() {
    }

    static Tensor[] run(String api, Tensor[] outputs, Tensor[] gradOutputs, Tensor[] inputs, boolean retain, boolean create) {
        if (outputs == null || outputs.length == 0) {
            throw new IllegalArgumentException(api + ": give at least one output");
        }
        if (gradOutputs != null && gradOutputs.length != outputs.length) {
            throw new IllegalArgumentException(api + ": " + outputs.length + " outputs but " + gradOutputs.length + " output gradients");
        }
        for (int i = 0; i < outputs.length; i++) {
            Tensor out = outputs[i];
            java.util.Objects.requireNonNull(out, api + ": output " + i + " is null");
            out.checkOpen(api);
            if (!out.requiresGrad()) {
                throw new IllegalStateException(api + ": the tensor of shape " + Shape.format(out.shape())
                        + " does not require grad and has no gradFn; call requiresGrad(true) on a leaf it was computed from,"
                        + " outside Autograd.noGrad()");
            }
            Tensor g = gradOutputs == null ? null : gradOutputs[i];
            if (g == null && out.numel() != 1) {
                throw new IllegalArgumentException(api + ": the output has shape " + Shape.format(out.shape())
                        + "; a gradient can be implied only for a scalar (1-element) output; pass a gradient of that shape or reduce first (e.g. sum())");
            }
            if (g != null) {
                g.checkOpen(api);
            }
            if (g != null && (!Arrays.equals(g.shape(), out.shape()) || g.dtype() != out.dtype() || !g.device().equals(out.device()))) {
                throw new IllegalArgumentException(api + ": the gradient " + g.describe() + " does not match the output " + out.describe()
                        + "; pass a gradient of the output's shape, dtype and device (e.g. Tensor.onesLike(output))");
            }
        }
        Scope scope = create ? null : Scope.open();
        GradMode mode = create ? Autograd.enableGrad() : Autograd.noGrad();
        long outerPass = Autograd.beginPass();
        try {
            Tensor[] result = walk(outputs, gradOutputs, inputs, retain, create);
            if (scope != null && result != null) {
                for (Tensor r : result) {
                    scope.keep(r);
                }
            }
            return result;
        } finally {
            Autograd.endPass(outerPass);
            mode.close();
            if (scope != null) {
                scope.close();
            }
        }
    }

    private static Tensor[] walk(Tensor[] outputs, Tensor[] gradOutputs, Tensor[] inputs, boolean retain, boolean create) {
        Pass pass = new Pass(inputs, create);
        List<Node> roots = new ArrayList<>();
        for (int i = 0; i < outputs.length; i++) {
            Tensor out = outputs[i];
            Tensor given = gradOutputs == null ? null : gradOutputs[i];
            if (given != null) {
                pass.foreign.put(given, Boolean.TRUE);
            }
            pass.deliver(out, given != null ? given : Tensor.onesLike(out));
            if (out.gradFn() != null) {
                roots.add(out.gradFn());
            }
        }
        pass.settle();
        try {
            for (Node node : topologicalOrder(roots)) {
                Tensor g = pass.pending.remove(node);
                if (g == null) {
                    continue;
                }
                pass.owned.remove(g);
                pass.release(g);
                Integer slot = pass.wantedNodes.get(node);
                if (slot != null) {
                    // A non-leaf input: its gradient is the complete sum that reached its node.
                    pass.captured[slot] = g;
                    pass.hold(g);
                }
                Tensor[] in = node.inputs();
                if (pass.addIntoSum(node, in, g)) {
                    pass.arrivals.add(g);
                    pass.settle();
                    if (!retain) {
                        node.release(pass.released);
                    }
                    continue;
                }
                Tensor[] grads = node.apply(g);
                pass.releaseEarly(g, grads);
                for (int i = 0; i < in.length; i++) {
                    Tensor gi = grads[i];
                    if (gi == null || !in[i].requiresGrad()) {
                        continue;
                    }
                    if (in[i].isClosed()) {
                        // A closed intermediate has dropped its part of the graph, so the pass cannot go on to the leaves behind it.
                        throw new IllegalStateException("backward: input " + i + " of '" + node.op() + "', a tensor of shape "
                                + Shape.format(in[i].shape()) + ", was closed before backward() reached it (typically by the Scope that made it); "
                                + "call backward() inside that scope, or keep the tensors open until backward() returns");
                    }
                    if (!Arrays.equals(gi.shape(), in[i].shape())) {
                        throw new IllegalStateException("backward of '" + node.op() + "' gave a gradient of shape " + Shape.format(gi.shape())
                                + " for input " + i + " of shape " + Shape.format(in[i].shape()) + " (a bug in its formula)");
                    }
                    pass.deliver(in[i], gi);
                    if (node.function() instanceof SliceBackwardFn && in[i].gradFn() != null) {
                        // What a slice's formula gives is a fresh tensor, so the stored sum is too.
                        pass.owned.put(pass.pending.get(in[i].gradFn()), Boolean.TRUE);
                    }
                }
                pass.arrivals.add(g);
                pass.settle();
                if (!retain) {
                    node.release(pass.released);
                }
            }
        } finally {
            // What the visited nodes let go of (a fused op's temporaries among them) is closed when the pass fails, too.
            for (Tensor t : pass.released) {
                t.close();
            }
        }
        Tensor[] captured = pass.captured;
        if (captured != null) {
            Map<Tensor, Boolean> seen = new IdentityHashMap<>();
            for (int i = 0; i < captured.length; i++) {
                if (captured[i] == null) {
                    captured[i] = Tensor.zerosLike(inputs[i]);
                } else if (pass.foreign.containsKey(captured[i]) || seen.put(captured[i], Boolean.TRUE) != null || KernelOps.hooks().selfOverlapping(captured[i])) {
                    // Results are ours to hand out, one tensor each: never the caller's own, nor one result
                    // twice, nor a view whose elements share memory (a sum's gradient, expanded), which the
                    // caller could not write into in place.
                    captured[i] = captured[i].clone();
                }
            }
        }
        return captured;
    }

    /**
     * The state of one backward pass. A formula may hand the same tensor to several inputs
     * ({@code add} passes its gradient to both), so one gradient can be stored in several places
     * (pending at nodes, captured as a result): {@link #held} counts them, and a gradient is closed
     * once no place holds it. Stored gradients are only read, except the sums the pass made itself
     * ({@link #owned}, held once), which it adds into in place. A leaf's {@code .grad} is added into
     * in place too, so a gradient a leaf took as its {@code .grad} is never shared: handing it out
     * again clones it, and a gradient held elsewhere is copied for the leaf.
     */
    private static final class Pass {
        final Map<Node, Tensor> pending = new IdentityHashMap<>();
        final Map<Tensor, Integer> wantedLeaves = new IdentityHashMap<>();
        final Map<Node, Integer> wantedNodes = new IdentityHashMap<>();
        /** How many places (pending sums, captured results) hold each stored gradient. */
        final Map<Tensor, Integer> held = new IdentityHashMap<>();
        /** Gradients that became a leaf's {@code .grad} in this pass: never closed here, never shared. */
        final Map<Tensor, Boolean> leafGrads = new IdentityHashMap<>();
        /** Tensors the caller gave us (output gradients): never closed here. */
        final Map<Tensor, Boolean> foreign = new IdentityHashMap<>();
        /** Pending sums this pass allocated and nothing else references: safe to add into in place. */
        final Map<Tensor, Boolean> owned = new IdentityHashMap<>();
        /** Gradients that arrived while one node was processed: closed once it is done, unless stored. */
        final List<Tensor> arrivals = new ArrayList<>();
        /** Intermediates of released nodes: formulas later in the pass may still read them. */
        final List<Tensor> released = new ArrayList<>();
        final Tensor[] captured;
        final boolean create;

        Pass(Tensor[] inputs, boolean create) {
            this.create = create;
            this.captured = inputs == null ? null : new Tensor[inputs.length];
            if (inputs != null) {
                for (int i = 0; i < inputs.length; i++) {
                    if (inputs[i].gradFn() == null) {
                        wantedLeaves.put(inputs[i], i);
                    } else {
                        wantedNodes.put(inputs[i].gradFn(), i);
                    }
                }
            }
        }

        /** Routes gradient {@code g} of tensor {@code t}: to a captured result, a leaf's .grad, or its node's pending sum. */
        void deliver(Tensor t, Tensor g) {
            if (leafGrads.containsKey(g)) {
                g = g.clone();
            }
            arrivals.add(g);
            if (t.gradFn() == null) {
                Integer slot = wantedLeaves.get(t);
                if (slot != null) {
                    captured[slot] = store(captured[slot], g);
                } else if (captured == null) {
                    accumulateLeaf(t, g);
                }
                return;
            }
            Node node = t.gradFn();
            pending.put(node, store(pending.get(node), g));
        }

        /**
         * For a {@link SliceBackwardFn} node whose input already has a pending sum of this pass's own
         * making, or is a leaf that already has a {@code .grad} this pass adds into: adds {@code g}
         * into that sum's (or {@code .grad}'s) region in place instead of building the zero-padded
         * gradient and adding all of it. (A leaf's {@code .grad} is added into in place anyway, and
         * the padding is zeros.) A GPT's packed attention projection is three slices of one
         * weight and one bias per layer. False (nothing done) otherwise. Never with createGraph:
         * that pass records its sums.
         */
        boolean addIntoSum(Node node, Tensor[] in, Tensor g) {
            if (create || in.length != 1 || !(node.function() instanceof SliceBackwardFn slice) || !in[0].requiresGrad()) {
                return false;
            }
            Tensor sum;
            if (in[0].gradFn() != null) {
                sum = pending.get(in[0].gradFn());
                if (sum == null || !owned.containsKey(sum)) {
                    return false;
                }
            } else {
                // Leaves go to .grad only in backward() (captured == null); Autograd.grad returns fresh sums.
                sum = captured == null ? in[0].grad() : null;
                if (sum == null) {
                    return false;
                }
            }
            slice.region(sum).addInPlace(g);
            return true;
        }

        /** The new stored value: g itself, or the sum with what was stored before (which is then released). */
        private Tensor store(Tensor prev, Tensor g) {
            Tensor value = g;
            if (prev != null) {
                value = sum(prev, g);
                owned.remove(prev);
                owned.put(value, Boolean.TRUE);
                release(prev);
                discard(prev);
            }
            hold(value);
            return value;
        }

        void hold(Tensor g) {
            held.merge(g, 1, Integer::sum);
        }

        /** One place fewer holds {@code g} (it stays open while another does). */
        void release(Tensor g) {
            held.computeIfPresent(g, (t, n) -> n == 1 ? null : n - 1);
        }

        /**
         * {@code prev + g}. Two matrices stored transposed (the gradients of {@code W.t()}, which
         * matmul hands out in W's layout) are added as their transposes: row-major, so the add runs
         * on whole rows, and the sum keeps their layout for the next one (an LSTM adds 128 of them).
         */
        private static Tensor sum(Tensor prev, Tensor g) {
            if (Shape.columnMajor(prev.shape(), prev.strides()) && Shape.columnMajor(g.shape(), g.strides())) {
                return prev.t().add(g.t()).t();
            }
            return prev.add(g);
        }

        /** Closes the arrivals that were not stored; a formula may hand one tensor to several inputs, so this waits until all are routed. */
        void settle() {
            for (Tensor a : arrivals) {
                discard(a);
            }
            arrivals.clear();
        }

        /**
         * Adds {@code g} into the leaf's {@code .grad}, or makes it the first one. A first gradient that
         * this pass made, that no other place holds and whose storage nothing else shares becomes the
         * leaf's as it is ({@link #leafGrads}: the pass never closes it, and a second hand-out of it
         * is cloned); others are copied. PyTorch's engine steals such gradients too: a copy per
         * parameter per step was a tenth of a GPT char-LM step's kernel launches on CUDA.
         */
        void accumulateLeaf(Tensor leaf, Tensor g) {
            Tensor grad = leaf.grad();
            if (grad != null) {
                grad.addInPlace(g);
            } else if (!create && !foreign.containsKey(g) && !held.containsKey(g) && KernelOps.hooks().soleView(g)) {
                leafGrads.put(g, Boolean.TRUE);
                leaf.setGrad(g);
            } else {
                leaf.setGrad(g.clone());
            }
        }

        /**
         * Closes a node's incoming gradient {@code g} as soon as its formula has run, when the pass
         * would close it anyway (at {@link #settle}) and the formula did not hand {@code g} itself on.
         * Views of it that the formula made keep its storage; what changes is that such a view is
         * then the only tensor on that storage, so a leaf can take it as its {@code .grad} without a
         * copy: {@code W.t()}'s gradient turned back into W's layout is a view of the one the
         * transpose received.
         */
        void releaseEarly(Tensor g, Tensor[] grads) {
            for (Tensor out : grads) {
                if (out == g) {
                    return;
                }
            }
            discard(g);
        }

        /** Closes a gradient nobody holds any more (never in createGraph mode: it is part of the new graph). */
        void discard(Tensor g) {
            if (!create && !held.containsKey(g) && !leafGrads.containsKey(g) && !foreign.containsKey(g)) {
                g.close();
            }
        }
    }

    /** Nodes reachable from the roots, each before every node it depends on (iterative DFS, reversed post-order). */
    private static List<Node> topologicalOrder(List<Node> roots) {
        Map<Node, Boolean> visited = new IdentityHashMap<>();
        List<Node> post = new ArrayList<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        for (Node root : roots) {
            if (visited.containsKey(root)) {
                continue;
            }
            visited.put(root, Boolean.TRUE);
            stack.push(new Object[] {root, 0});
            while (!stack.isEmpty()) {
                Object[] frame = stack.peek();
                Node n = (Node) frame[0];
                Tensor[] in = n.inputs();
                int i = (Integer) frame[1];
                if (i < in.length) {
                    frame[1] = i + 1;
                    Node child = in[i].gradFn();
                    if (child != null && in[i].requiresGrad() && !visited.containsKey(child)) {
                        visited.put(child, Boolean.TRUE);
                        stack.push(new Object[] {child, 0});
                    }
                } else {
                    stack.pop();
                    post.add(n);
                }
            }
        }
        java.util.Collections.reverse(post);
        return post;
    }
}
