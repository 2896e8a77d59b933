package dev.fathom.autograd;

import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.List;

/**
 * One recorded op in the graph: the op's name, its inputs, the tensors its backward formula reads
 * (with their versions at record time) and the formula. Each non-leaf tensor that requires grad
 * holds the node that made it ({@link Tensor#gradFn()}).
 *
 * <p>A backward pass without {@code retainGraph} releases the nodes it walked: their inputs and
 * saved tensors are dropped, and a second pass through them is an error that says so.
 */
public final class Node {
    private final String op;
    private Tensor[] inputs;
    private Tensor[] saved;
    private int[] savedVersions;
    private BackwardFn fn;
    private List<Tensor> temporaries = List.of();

    /**
     * @param op     the op's name, for messages ("mul", "matmul", …)
     * @param inputs the op's tensor inputs, in the order the formula returns gradients
     * @param saved  tensors the formula reads, checked for in-place modification at backward time
     * @param fn     the backward formula
     */
    public Node(String op, Tensor[] inputs, Tensor[] saved, BackwardFn fn) {
        this.op = op;
        this.inputs = inputs;
        this.saved = saved;
        this.savedVersions = new int[saved.length];
        for (int i = 0; i < saved.length; i++) {
            savedVersions[i] = saved[i].version();
        }
        this.fn = fn;
    }

    /** The op that made this node's tensor. */
    public String op() {
        return op;
    }

    /** True once a backward pass without retainGraph has walked this node. */
    public boolean isReleased() {
        return fn == null;
    }

    @Override
    public String toString() {
        return "Node[" + op + (isReleased() ? ", released" : "") + "]";
    }

    /** The formula; null once released. */
    BackwardFn function() {
        return fn;
    }

    Tensor[] inputs() {
        if (inputs == null) {
            throw new IllegalStateException("backward: trying to go through the graph a second time: the graph of '" + op
                    + "' was freed by an earlier backward(); pass retainGraph=true to the first backward to keep it");
        }
        return inputs;
    }

    Tensor[] apply(Tensor gradOutput) {
        Tensor[] in = inputs();
        for (int i = 0; i < saved.length; i++) {
            Tensor s = saved[i];
            if (s.isClosed()) {
                throw new IllegalStateException("backward: a tensor of shape " + Shape.format(s.shape()) + " saved for the backward of '" + op
                        + "' was closed; keep it open (e.g. in the scope that computes the loss) until backward() returns");
            }
            if (s.version() != savedVersions[i]) {
                throw new IllegalStateException("backward: a tensor of shape " + Shape.format(s.shape()) + " saved for the backward of '" + op
                        + "' was modified in place after it was saved (version " + s.version() + ", expected " + savedVersions[i]
                        + "); clone it before modifying it");
            }
        }
        Tensor[] grads = fn.apply(gradOutput);
        if (grads.length != in.length) {
            throw new IllegalStateException("backward of '" + op + "' returned " + grads.length + " gradients for " + in.length + " inputs");
        }
        return grads;
    }

    /**
     * Makes this node the owner of the intermediate tensors of a composite op (the sum inside a
     * mean, the exponentials inside a softmax): they live as long as the graph needs them and are
     * closed when a backward pass releases this node, or when the node's tensor is closed.
     */
    public void adopt(List<Tensor> intermediates) {
        if (temporaries.isEmpty()) {
            temporaries = new java.util.ArrayList<>(intermediates);
        } else {
            temporaries.addAll(intermediates);
        }
    }

    /** Closes the adopted intermediates; called when this node's tensor is closed. */
    public void closeTemporaries() {
        List<Tensor> t = temporaries;
        temporaries = List.of();
        for (Tensor x : t) {
            x.close();
        }
    }

    /** Drops the graph; the adopted intermediates go to {@code sink}, to be closed once the whole pass is done. */
    void release(List<Tensor> sink) {
        inputs = null;
        saved = null;
        savedVersions = null;
        fn = null;
        sink.addAll(temporaries);
        temporaries = List.of();
    }
}
