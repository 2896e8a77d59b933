package dev.fathom.autograd;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

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
            if (g != null && !Arrays.equals(g.shape(), out.shape())) {
                throw new IllegalArgumentException(api + ": gradient shape " + Shape.format(g.shape()) + " does not match output shape "
                        + Shape.format(out.shape()));
            }
        }
        Scope scope = create ? null : Scope.open();
        GradMode mode = create ? Autograd.enableGrad() : Autograd.noGrad();
        try {
            Tensor[] result = walk(outputs, gradOutputs, inputs, retain, create);
            if (scope != null && result != null) {
                for (Tensor r : result) {
                    scope.keep(r);
                }
            }
            return result;
        } finally {
            mode.close();
            if (scope != null) {
                scope.close();
            }
        }
    }

    private static Tensor[] walk(Tensor[] outputs, Tensor[] gradOutputs, Tensor[] inputs, boolean retain, boolean create) {
        // What to capture in grad mode: the inputs' identities (leaf or not).
        Map<Tensor, Integer> wanted = new IdentityHashMap<>();
        Tensor[] captured = inputs == null ? null : new Tensor[inputs.length];
        if (inputs != null) {
            for (int i = 0; i < inputs.length; i++) {
                wanted.put(inputs[i], i);
            }
        }
        Map<Node, Tensor> pending = new IdentityHashMap<>();
        List<Node> roots = new ArrayList<>();
        for (int i = 0; i < outputs.length; i++) {
            Tensor out = outputs[i];
            Tensor g = gradOutputs != null && gradOutputs[i] != null ? gradOutputs[i] : Tensor.onesLike(out);
            deliver(out, g, pending, wanted, captured, inputs != null, create);
            if (out.gradFn() != null) {
                roots.add(out.gradFn());
            }
        }
        for (Node node : topologicalOrder(roots)) {
            Tensor g = pending.remove(node);
            if (g == null) {
                continue;
            }
            Tensor[] in = node.inputs();
            Tensor[] grads = node.apply(g);
            for (int i = 0; i < in.length; i++) {
                Tensor gi = grads[i];
                if (gi == null || !in[i].requiresGrad()) {
                    continue;
                }
                if (!Arrays.equals(gi.shape(), in[i].shape())) {
                    throw new IllegalStateException("backward of '" + node.op() + "' gave a gradient of shape " + Shape.format(gi.shape())
                            + " for input " + i + " of shape " + Shape.format(in[i].shape()) + " (a bug in its formula)");
                }
                deliver(in[i], gi, pending, wanted, captured, inputs != null, create);
            }
            if (!create && !contains(grads, g) && !captures(captured, g)) {
                g.close();
            }
            if (!retain) {
                node.release();
            }
        }
        if (captured != null) {
            for (int i = 0; i < captured.length; i++) {
                if (captured[i] == null) {
                    captured[i] = Tensor.zerosLike(inputs[i]);
                }
            }
        }
        return captured;
    }

    /** Routes gradient {@code g} of tensor {@code t}: to a captured result, a leaf's .grad, or its node's pending sum. */
    private static void deliver(Tensor t, Tensor g, Map<Node, Tensor> pending, Map<Tensor, Integer> wanted, Tensor[] captured,
                                boolean gradMode, boolean create) {
        Integer slot = wanted.get(t);
        if (slot != null && t.gradFn() == null) {
            captured[slot] = captured[slot] == null ? g : captured[slot].add(g);
            return;
        }
        if (t.gradFn() == null) {
            if (!gradMode) {
                accumulateLeaf(t, g);
            }
            return;
        }
        Node node = t.gradFn();
        Tensor prev = pending.get(node);
        pending.put(node, prev == null ? g : prev.add(g));
        if (slot != null) {
            // A non-leaf input: its gradient is the sum that reaches its node; refreshed on each arrival.
            captured[slot] = pending.get(node);
        }
    }

    private static void accumulateLeaf(Tensor leaf, Tensor g) {
        Tensor grad = leaf.grad();
        if (grad == null) {
            Tensor copy = g.clone();
            Scope.escape(copy);
            leaf.setGrad(copy);
        } else {
            grad.addInPlace(g);
        }
    }

    private static boolean contains(Tensor[] ts, Tensor t) {
        for (Tensor x : ts) {
            if (x == t) {
                return true;
            }
        }
        return false;
    }

    private static boolean captures(Tensor[] captured, Tensor t) {
        return captured != null && contains(captured, t);
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
