package dev.fathom.spi;

/**
 * The closed set of primitive ops a backend implements, one enum per kind. Everything else
 * (softmax, logsumexp, var, clamp, linear layers…) is a composite of these in the tensor layer;
 * shapes, broadcasting and dtype rules are decided there, never in a backend.
 */
public sealed interface Op permits UnaryOp, BinaryOp, ReduceOp, RandomOp {
    String name();
}
