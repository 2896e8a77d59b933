package dev.fathom.autograd;

import dev.fathom.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * For tests: the ops recorded in a tensor's autograd graph, found by walking {@link Node}s from
 * {@link Tensor#gradFn()} through their inputs (package access). Lets a test say which path a
 * module took (the fused attention node, or the composite's softmax) without the module exposing it.
 */
public final class GraphOps {
    private GraphOps() {
    }

    /** Each op name in the graph of {@code root} with how many nodes have it; empty for a leaf or a tensor made without recording. */
    public static Map<String, Integer> counts(Tensor root) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Node> todo = new ArrayDeque<>();
        if (root.gradFn() != null) {
            todo.push(root.gradFn());
        }
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!seen.add(n)) {
                continue;
            }
            counts.merge(n.op(), 1, Integer::sum);
            for (Tensor in : n.inputs()) {
                if (in != null && in.gradFn() != null) {
                    todo.push(in.gradFn());
                }
            }
        }
        return counts;
    }
}
