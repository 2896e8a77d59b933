package dev.fathom.tensor;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.Node;
import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.ReduceOp;
import dev.fathom.spi.UnaryOp;

/**
 * An n-dimensional array on a device, with reverse-mode autograd. Names follow PyTorch.
 *
 * <p>A tensor is a view: a shared {@link Storage} seen through a shape, strides and an offset.
 * Reshape of a contiguous tensor, permute, transpose, narrow, select, expand, squeeze and
 * unsqueeze copy nothing; {@link #contiguous()} copies only when it must. Shape, dtype and
 * device never change; ops return new tensors, and the few that write in place say so in their
 * names ({@link #addInPlace}, {@link #copyFrom}, {@link #fillInPlace}).
 *
 * <p>Rules every op follows: NumPy broadcasting; negative dims count from the end; no silent
 * promotion (mixing dtypes or devices throws, naming the op and how to convert); bad input throws
 * {@link IllegalArgumentException} naming the op and the shapes; use after {@link #close()} throws
 * {@link IllegalStateException}.
 *
 * <p>Memory: a tensor holds backend memory until it is closed, directly or by the {@link Scope} it
 * was created in. Not thread-safe; share tensors between threads only with your own locking.
 */
public final class Tensor implements AutoCloseable {
    final Storage storage;
    final int[] shape;
    final long[] strides;
    final long offset;

    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;
    private boolean closed;
    /** The scope that will close this tensor, if any. */
    Scope owner;

    Tensor(Storage storage, int[] shape, long[] strides, long offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        storage.retain();
        Scope.track(this);
    }

    // ---- factories ------------------------------------------------------------------------------

    /**
     * An F32 tensor holding {@code data} (copied) in row-major order, on the default device; with no
     * shape given it is 1-D (use {@link #scalar(float)} for 0-d).
     */
    public static Tensor of(float[] data, int... shape) {
        return Factories.of(data, Factories.length("Tensor.of", data == null ? -1 : data.length), DType.F32, shape);
    }

    /** An F64 tensor holding {@code data}. */
    public static Tensor of(double[] data, int... shape) {
        return Factories.of(data, Factories.length("Tensor.of", data == null ? -1 : data.length), DType.F64, shape);
    }

    /** An I64 tensor holding {@code data}. */
    public static Tensor of(long[] data, int... shape) {
        return Factories.of(data, Factories.length("Tensor.of", data == null ? -1 : data.length), DType.I64, shape);
    }

    /** A BOOL tensor holding {@code data}. */
    public static Tensor of(boolean[] data, int... shape) {
        return Factories.of(data, Factories.length("Tensor.of", data == null ? -1 : data.length), DType.BOOL, shape);
    }

    /** A 0-d F32 tensor. */
    public static Tensor scalar(float value) {
        return Factories.scalar(new float[] {value}, DType.F32);
    }

    /** A 0-d F64 tensor. */
    public static Tensor scalar(double value) {
        return Factories.scalar(new double[] {value}, DType.F64);
    }

    /** A 0-d I64 tensor. */
    public static Tensor scalar(long value) {
        return Factories.scalar(new long[] {value}, DType.I64);
    }

    /** A 0-d BOOL tensor. */
    public static Tensor scalar(boolean value) {
        return Factories.scalar(new boolean[] {value}, DType.BOOL);
    }

    /** F32 zeros on the default device. */
    public static Tensor zeros(int... shape) {
        return full(0, DType.F32, shape);
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return full(0, dtype, shape);
    }

    public static Tensor zeros(DType dtype, Device device, int... shape) {
        return Factories.full(0, dtype, device, shape);
    }

    /** F32 ones on the default device. */
    public static Tensor ones(int... shape) {
        return full(1, DType.F32, shape);
    }

    public static Tensor ones(DType dtype, int... shape) {
        return full(1, dtype, shape);
    }

    public static Tensor ones(DType dtype, Device device, int... shape) {
        return Factories.full(1, dtype, device, shape);
    }

    /** An F32 tensor filled with {@code value}. */
    public static Tensor full(double value, int... shape) {
        return full(value, DType.F32, shape);
    }

    public static Tensor full(double value, DType dtype, int... shape) {
        return Factories.full(value, dtype, null, shape);
    }

    public static Tensor full(double value, DType dtype, Device device, int... shape) {
        return Factories.full(value, dtype, device, shape);
    }

    /** Zeros with x's shape, dtype and device. */
    public static Tensor zerosLike(Tensor x) {
        Ops.open("zerosLike", x);
        return Factories.full(0, x.dtype(), x.device(), x.shape);
    }

    /** Ones with x's shape, dtype and device. */
    public static Tensor onesLike(Tensor x) {
        Ops.open("onesLike", x);
        return Factories.full(1, x.dtype(), x.device(), x.shape);
    }

    /** {@code value} with x's shape, dtype and device. */
    public static Tensor fullLike(Tensor x, double value) {
        return Factories.full(value, x.dtype(), x.device(), x.shape);
    }

    /** {@code [0, 1, …, n-1]} as I64. */
    public static Tensor arange(long n) {
        return Factories.arange(0, n, 1, DType.I64);
    }

    /** {@code start, start+step, …} up to but excluding {@code end}, like {@code torch.arange}. */
    public static Tensor arange(double start, double end, double step, DType dtype) {
        return Factories.arange(start, end, step, dtype);
    }

    /** {@code steps} evenly spaced values from {@code start} to {@code end}, both included, as {@code torch.linspace} (F32 or F64). */
    public static Tensor linspace(double start, double end, int steps, DType dtype) {
        return Factories.linspace(start, end, steps, dtype);
    }

    /** The n×n F32 identity. */
    public static Tensor eye(int n) {
        return Factories.eye(n, DType.F32);
    }

    public static Tensor eye(int n, DType dtype) {
        return Factories.eye(n, dtype);
    }

    /** F32 uniform on [0, 1) from the global Philox generator (see {@code Fathom.seed}). */
    public static Tensor rand(int... shape) {
        return Factories.random(dev.fathom.spi.RandomOp.UNIFORM, 0, 1, DType.F32, Generator.global(), shape);
    }

    /** Uniform on [0, 1) of the given floating dtype, from {@code generator}. */
    public static Tensor rand(Generator generator, DType dtype, int... shape) {
        return Factories.random(dev.fathom.spi.RandomOp.UNIFORM, 0, 1, dtype, generator, shape);
    }

    /** F32 standard normal from the global Philox generator. */
    public static Tensor randn(int... shape) {
        return Factories.random(dev.fathom.spi.RandomOp.NORMAL, 0, 1, DType.F32, Generator.global(), shape);
    }

    /** Standard normal of the given floating dtype, from {@code generator}. */
    public static Tensor randn(Generator generator, DType dtype, int... shape) {
        return Factories.random(dev.fathom.spi.RandomOp.NORMAL, 0, 1, dtype, generator, shape);
    }

    /** Uniform on [lo, hi). */
    public static Tensor uniform(double lo, double hi, DType dtype, Generator generator, int... shape) {
        return Factories.random(dev.fathom.spi.RandomOp.UNIFORM, lo, hi, dtype, generator, shape);
    }

    /** Normal with the given mean and standard deviation. */
    public static Tensor normal(double mean, double std, DType dtype, Generator generator, int... shape) {
        return Factories.random(dev.fathom.spi.RandomOp.NORMAL, mean, std, dtype, generator, shape);
    }

    /** 1 with probability p, else 0 (dtype as given; BOOL gives true/false). */
    public static Tensor bernoulli(double p, DType dtype, Generator generator, int... shape) {
        return Factories.random(dev.fathom.spi.RandomOp.BERNOULLI, p, 0, dtype, generator, shape);
    }

    /** Concatenates along {@code dim}; all other sizes must match. */
    public static Tensor cat(int dim, Tensor... tensors) {
        return Views.cat(dim, tensors);
    }

    /** Stacks equal-shaped tensors along a new dim. */
    public static Tensor stack(int dim, Tensor... tensors) {
        return Views.stack(dim, tensors);
    }

    /** {@code cond ? a : b}, broadcast; cond is BOOL; a and b share a dtype. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return Elementwise.where(cond, a, b);
    }

    /** {@code cond ? a : value}, the number taken in a's dtype (no promotion: a's dtype is the result's). */
    public static Tensor where(Tensor cond, Tensor a, double value) {
        return Elementwise.where(cond, a, value, false);
    }

    /** {@code cond ? value : b}, the number taken in b's dtype. */
    public static Tensor where(Tensor cond, double value, Tensor b) {
        return Elementwise.where(cond, b, value, true);
    }

    // ---- properties -----------------------------------------------------------------------------

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The number of dims (0 for a scalar). */
    public int dim() {
        return shape.length;
    }

    /** The size of {@code dim} (negative counts from the end). */
    public int size(int dim) {
        return shape[Shape.dim("size", dim, shape)];
    }

    /** A copy of the strides, in elements. */
    public long[] strides() {
        return strides.clone();
    }

    /** The offset into the storage, in elements. */
    public long storageOffset() {
        return offset;
    }

    public long numel() {
        return Shape.numel(shape);
    }

    public DType dtype() {
        return storage.buffer.dtype();
    }

    public Device device() {
        return storage.kernels.device();
    }

    /** True when the elements are row-major without gaps. */
    public boolean isContiguous() {
        return Ops.strided(this).isContiguous();
    }

    /** The number of in-place writes to this tensor's storage (autograd uses it to detect stale saved tensors). */
    public int version() {
        return storage.version();
    }

    /** True when this tensor and {@code other} view the same storage. */
    public boolean sharesStorageWith(Tensor other) {
        return storage == other.storage;
    }

    // ---- reading values (these wait for the device) ---------------------------------------------

    /** The value of a one-element tensor, as a float. */
    public float item() {
        return (float) itemDouble();
    }

    /** The value of a one-element tensor, as a double (I64 and BOOL convert; BOOL is 0 or 1). */
    public double itemDouble() {
        return Host.item(this);
    }

    /** The value of a one-element I64 or BOOL tensor, as a long. */
    public long itemLong() {
        return Host.itemLong(this);
    }

    /** All elements in row-major order, converted to float. */
    public float[] toFloatArray() {
        return Host.toFloatArray(this);
    }

    /** All elements in row-major order, converted to double. */
    public double[] toDoubleArray() {
        return Host.toDoubleArray(this);
    }

    /** All elements of an I64 or BOOL tensor in row-major order (floats must be converted explicitly). */
    public long[] toLongArray() {
        return Host.toLongArray(this);
    }

    /** All elements of a BOOL tensor in row-major order. */
    public boolean[] toBooleanArray() {
        return Host.toBooleanArray(this);
    }

    // ---- elementwise ----------------------------------------------------------------------------

    public Tensor add(Tensor other) {
        return Elementwise.binary(BinaryOp.ADD, this, other);
    }

    public Tensor add(double value) {
        return Elementwise.binaryScalar(BinaryOp.ADD, this, value);
    }

    public Tensor sub(Tensor other) {
        return Elementwise.binary(BinaryOp.SUB, this, other);
    }

    public Tensor sub(double value) {
        return Elementwise.binaryScalar(BinaryOp.SUB, this, value);
    }

    public Tensor mul(Tensor other) {
        return Elementwise.binary(BinaryOp.MUL, this, other);
    }

    public Tensor mul(double value) {
        return Elementwise.binaryScalar(BinaryOp.MUL, this, value);
    }

    /**
     * {@code this / other}, broadcast. On I64 it is Java's integer division: it rounds toward zero
     * ({@code 7 / 2 = 3}, {@code -7 / 2 = -3}) and dividing by zero throws; PyTorch's {@code div}
     * returns floats there, which Fathom does not do silently: convert first,
     * {@code x.to(DType.F64).div(...)}, for true division.
     */
    public Tensor div(Tensor other) {
        return Elementwise.binary(BinaryOp.DIV, this, other);
    }

    /** {@code this / value}; on I64 the value must be an integer, and the division rounds toward zero as {@link #div(Tensor)}. */
    public Tensor div(double value) {
        return Elementwise.binaryScalar(BinaryOp.DIV, this, value);
    }

    public Tensor pow(Tensor exponent) {
        return Elementwise.binary(BinaryOp.POW, this, exponent);
    }

    public Tensor pow(double exponent) {
        return Elementwise.binaryScalar(BinaryOp.POW, this, exponent);
    }

    /** Elementwise maximum (NaN propagates). */
    public Tensor maximum(Tensor other) {
        return Elementwise.binary(BinaryOp.MAXIMUM, this, other);
    }

    /** Elementwise minimum (NaN propagates). */
    public Tensor minimum(Tensor other) {
        return Elementwise.binary(BinaryOp.MINIMUM, this, other);
    }

    public Tensor neg() {
        return Elementwise.unary(UnaryOp.NEG, this);
    }

    public Tensor exp() {
        return Elementwise.unary(UnaryOp.EXP, this);
    }

    public Tensor log() {
        return Elementwise.unary(UnaryOp.LOG, this);
    }

    public Tensor sqrt() {
        return Elementwise.unary(UnaryOp.SQRT, this);
    }

    public Tensor rsqrt() {
        return Elementwise.unary(UnaryOp.RSQRT, this);
    }

    public Tensor reciprocal() {
        return Elementwise.unary(UnaryOp.RECIPROCAL, this);
    }

    public Tensor abs() {
        return Elementwise.unary(UnaryOp.ABS, this);
    }

    public Tensor sign() {
        return Elementwise.unary(UnaryOp.SIGN, this);
    }

    public Tensor sin() {
        return Elementwise.unary(UnaryOp.SIN, this);
    }

    public Tensor cos() {
        return Elementwise.unary(UnaryOp.COS, this);
    }

    public Tensor tanh() {
        return Elementwise.unary(UnaryOp.TANH, this);
    }

    public Tensor sigmoid() {
        return Elementwise.unary(UnaryOp.SIGMOID, this);
    }

    public Tensor relu() {
        return Elementwise.unary(UnaryOp.RELU, this);
    }

    /** Exact GELU, {@code x·Φ(x)}. */
    public Tensor gelu() {
        return Elementwise.unary(UnaryOp.GELU, this);
    }

    /** GELU's tanh approximation (PyTorch's {@code approximate="tanh"}). */
    public Tensor geluTanh() {
        return Elementwise.unary(UnaryOp.GELU_TANH, this);
    }

    public Tensor silu() {
        return Elementwise.unary(UnaryOp.SILU, this);
    }

    public Tensor erf() {
        return Elementwise.unary(UnaryOp.ERF, this);
    }

    /** Clamps into {@code [min, max]}; the gradient is 1 inside (bounds included) and 0 outside, as in PyTorch. */
    public Tensor clamp(double min, double max) {
        return Elementwise.clamp(this, min, max);
    }

    public Tensor eq(Tensor other) {
        return Elementwise.binary(BinaryOp.EQ, this, other);
    }

    public Tensor eq(double value) {
        return Elementwise.binaryScalar(BinaryOp.EQ, this, value);
    }

    public Tensor ne(Tensor other) {
        return Elementwise.binary(BinaryOp.NE, this, other);
    }

    public Tensor ne(double value) {
        return Elementwise.binaryScalar(BinaryOp.NE, this, value);
    }

    public Tensor lt(Tensor other) {
        return Elementwise.binary(BinaryOp.LT, this, other);
    }

    public Tensor lt(double value) {
        return Elementwise.binaryScalar(BinaryOp.LT, this, value);
    }

    public Tensor le(Tensor other) {
        return Elementwise.binary(BinaryOp.LE, this, other);
    }

    public Tensor le(double value) {
        return Elementwise.binaryScalar(BinaryOp.LE, this, value);
    }

    public Tensor gt(Tensor other) {
        return Elementwise.binary(BinaryOp.GT, this, other);
    }

    public Tensor gt(double value) {
        return Elementwise.binaryScalar(BinaryOp.GT, this, value);
    }

    public Tensor ge(Tensor other) {
        return Elementwise.binary(BinaryOp.GE, this, other);
    }

    public Tensor ge(double value) {
        return Elementwise.binaryScalar(BinaryOp.GE, this, value);
    }

    public Tensor logicalAnd(Tensor other) {
        return Elementwise.binary(BinaryOp.AND, this, other);
    }

    public Tensor logicalOr(Tensor other) {
        return Elementwise.binary(BinaryOp.OR, this, other);
    }

    public Tensor logicalXor(Tensor other) {
        return Elementwise.binary(BinaryOp.XOR, this, other);
    }

    public Tensor logicalNot() {
        return Elementwise.unary(UnaryOp.NOT, this);
    }

    // ---- reductions -----------------------------------------------------------------------------

    /** Sum of all elements (0-d). BOOL counts trues into I64. */
    public Tensor sum() {
        return Reductions.sum(this, new int[0], false);
    }

    /** Sum over {@code dims} (all when none given), dropping them. */
    public Tensor sum(int... dims) {
        return Reductions.sum(this, dims, false);
    }

    public Tensor sum(int[] dims, boolean keepDim) {
        return Reductions.sum(this, dims, keepDim);
    }

    public Tensor mean() {
        return Reductions.mean(this, new int[0], false);
    }

    public Tensor mean(int... dims) {
        return Reductions.mean(this, dims, false);
    }

    public Tensor mean(int[] dims, boolean keepDim) {
        return Reductions.mean(this, dims, keepDim);
    }

    /** Unbiased variance (Bessel's correction, as PyTorch's default) of all elements. */
    public Tensor var() {
        return Reductions.var(this, new int[0], 1, false);
    }

    /** Unbiased variance over {@code dims}. */
    public Tensor var(int... dims) {
        return Reductions.var(this, dims, 1, false);
    }

    /** Variance over {@code dims} dividing by {@code n - correction} (0: population, 1: sample). */
    public Tensor var(int[] dims, int correction, boolean keepDim) {
        return Reductions.var(this, dims, correction, keepDim);
    }

    public Tensor std() {
        return Reductions.std(this, new int[0], 1, false);
    }

    public Tensor std(int... dims) {
        return Reductions.std(this, dims, 1, false);
    }

    public Tensor std(int[] dims, int correction, boolean keepDim) {
        return Reductions.std(this, dims, correction, keepDim);
    }

    /**
     * Maximum of all elements (0-d); the gradient is shared equally among tied maxima, and among the
     * NaNs when there are any (the result is then NaN).
     */
    public Tensor max() {
        return Reductions.extreme(ReduceOp.MAX, this, new int[0], false);
    }

    /**
     * Maximum along {@code dim}, dropping it: the values, as {@code torch.amax} (use {@link #argmax(int)}
     * for the indices), with its gradient, shared equally among tied maxima, where PyTorch's
     * {@code max(dim)} gives it all to the first.
     */
    public Tensor max(int dim) {
        return Reductions.extreme(ReduceOp.MAX, this, new int[] {dim}, false);
    }

    public Tensor max(int dim, boolean keepDim) {
        return Reductions.extreme(ReduceOp.MAX, this, new int[] {dim}, keepDim);
    }

    public Tensor min() {
        return Reductions.extreme(ReduceOp.MIN, this, new int[0], false);
    }

    public Tensor min(int dim) {
        return Reductions.extreme(ReduceOp.MIN, this, new int[] {dim}, false);
    }

    public Tensor min(int dim, boolean keepDim) {
        return Reductions.extreme(ReduceOp.MIN, this, new int[] {dim}, keepDim);
    }

    /** Index of the first maximum of the flattened tensor (0-d I64). */
    public Tensor argmax() {
        return Reductions.arg(ReduceOp.ARGMAX, this, null, false);
    }

    public Tensor argmax(int dim) {
        return Reductions.arg(ReduceOp.ARGMAX, this, dim, false);
    }

    public Tensor argmax(int dim, boolean keepDim) {
        return Reductions.arg(ReduceOp.ARGMAX, this, dim, keepDim);
    }

    public Tensor argmin() {
        return Reductions.arg(ReduceOp.ARGMIN, this, null, false);
    }

    public Tensor argmin(int dim) {
        return Reductions.arg(ReduceOp.ARGMIN, this, dim, false);
    }

    public Tensor argmin(int dim, boolean keepDim) {
        return Reductions.arg(ReduceOp.ARGMIN, this, dim, keepDim);
    }

    /** {@code log Σ exp x} over {@code dims}, stable for large |x|. */
    public Tensor logsumexp(int... dims) {
        return Reductions.logsumexp(this, dims, false);
    }

    public Tensor logsumexp(int[] dims, boolean keepDim) {
        return Reductions.logsumexp(this, dims, keepDim);
    }

    /** Softmax along {@code dim}, stable for large |x|. */
    public Tensor softmax(int dim) {
        return Reductions.softmax(this, dim);
    }

    /** Log-softmax along {@code dim}, stable for large |x|. */
    public Tensor logSoftmax(int dim) {
        return Reductions.logSoftmax(this, dim);
    }

    /** Sums broadcast dims away so that the result has {@code shape} (the reverse of broadcasting to this shape). */
    public Tensor sumToSize(int... shape) {
        return Reductions.sumToSize(this, shape);
    }

    // ---- linear algebra -------------------------------------------------------------------------

    /** Matrix product with {@code torch.matmul}'s rules: 1-D, 2-D and batched with broadcast batch dims. */
    public Tensor matmul(Tensor other) {
        return LinearAlgebra.matmul(this, other);
    }

    // ---- views and reshaping --------------------------------------------------------------------

    /** The same elements in a new shape; a view when the strides allow it, else a copy. One size may be -1. */
    public Tensor reshape(int... newShape) {
        return Views.reshape(this, newShape, false);
    }

    /** As reshape, but never copies: throws when the strides do not allow a view. */
    public Tensor view(int... newShape) {
        return Views.reshape(this, newShape, true);
    }

    /** Reorders the dims (a view). */
    public Tensor permute(int... dims) {
        return Views.permute(this, dims);
    }

    /** Swaps two dims (a view). */
    public Tensor transpose(int dim0, int dim1) {
        return Views.transpose(this, dim0, dim1);
    }

    /** Transpose of a matrix (≤ 2-D, as PyTorch's {@code t()}). */
    public Tensor t() {
        return Views.t(this);
    }

    /** Inserts a size-1 dim at {@code dim} (a view). */
    public Tensor unsqueeze(int dim) {
        return Views.unsqueeze(this, dim);
    }

    /** Removes every size-1 dim (a view). */
    public Tensor squeeze() {
        return Views.squeeze(this, null);
    }

    /** Removes {@code dim} if its size is 1 (a view; unchanged otherwise, as in PyTorch). */
    public Tensor squeeze(int dim) {
        return Views.squeeze(this, dim);
    }

    /** Broadcasts size-1 dims to larger sizes (stride 0, a view); -1 keeps a size. */
    public Tensor expand(int... newShape) {
        return Views.expand(this, newShape);
    }

    /** {@code length} elements of {@code dim} from {@code start} (a view). */
    public Tensor narrow(int dim, int start, int length) {
        return Views.narrow(this, dim, start, length);
    }

    /** Elements {@code start, start+step, …} below {@code end} of {@code dim} (a view); bounds clamp as in Python. */
    public Tensor slice(int dim, int start, int end, int step) {
        return Views.slice(this, dim, start, end, step);
    }

    /** Index {@code index} of {@code dim}, removing that dim (a view). */
    public Tensor select(int dim, int index) {
        return Views.select(this, dim, index);
    }

    /** All dims flattened into one. */
    public Tensor flatten() {
        return Views.flatten(this, 0, -1);
    }

    /** Dims {@code start..end} (inclusive) flattened into one. */
    public Tensor flatten(int startDim, int endDim) {
        return Views.flatten(this, startDim, endDim);
    }

    /** This tensor if it is contiguous, else a contiguous copy. */
    public Tensor contiguous() {
        return Views.contiguous(this);
    }

    /** Splits into {@code chunks} views along {@code dim} (the last may be smaller), as {@code torch.chunk}. */
    public Tensor[] chunk(int chunks, int dim) {
        return Views.chunk(this, chunks, dim);
    }

    /** The views {@code select(dim, i)} for every i, as {@code torch.unbind}. */
    public Tensor[] unbind(int dim) {
        return Views.unbind(this, dim);
    }

    /** Splits into views of {@code splitSize} along {@code dim} (the last may be smaller). */
    public Tensor[] split(int splitSize, int dim) {
        return Views.split(this, splitSize, dim);
    }

    /** The order of {@code dims} reversed, as {@code torch.flip} (a copy). */
    public Tensor flip(int... dims) {
        return Rearrangements.flip(this, dims);
    }

    /** Elements shifted by {@code shift} along {@code dim}, wrapping around, as {@code torch.roll} (a copy). */
    public Tensor roll(int shift, int dim) {
        return Rearrangements.roll(this, new int[] {shift}, new int[] {dim});
    }

    /** {@code torch.roll} over several dims, one shift each; with no dims, one shift of the flattened tensor. */
    public Tensor roll(int[] shifts, int... dims) {
        return Rearrangements.roll(this, shifts, dims);
    }

    /** The tensor tiled {@code repeats[i]} times along dim i, as {@code torch.Tensor.repeat}; extra leading repeats add dims. */
    public Tensor repeat(int... repeats) {
        return Rearrangements.repeat(this, repeats);
    }

    /** The lower triangle of the last two dims (entries with column − row ≤ {@code diagonal}); the rest 0, as {@code torch.tril}. */
    public Tensor tril(int diagonal) {
        return Rearrangements.triangle(this, diagonal, true);
    }

    /** {@link #tril(int)} on the main diagonal. */
    public Tensor tril() {
        return tril(0);
    }

    /** The upper triangle of the last two dims (entries with column − row ≥ {@code diagonal}); the rest 0, as {@code torch.triu}. */
    public Tensor triu(int diagonal) {
        return Rearrangements.triangle(this, diagonal, false);
    }

    /** {@link #triu(int)} on the main diagonal. */
    public Tensor triu() {
        return triu(0);
    }

    /** The running sums along {@code dim}, as {@code torch.cumsum} (BOOL counts as I64). */
    public Tensor cumsum(int dim) {
        return Rearrangements.cumsum(this, dim);
    }

    /**
     * The values along {@code dim} in ascending (or descending) order with their I64 indices, as
     * {@code torch.sort(stable=True)}: ties keep their order, NaN sorts last ascending and first
     * descending. The values are differentiable.
     */
    public Sorted sort(int dim, boolean descending) {
        return Sorting.sort(this, dim, descending);
    }

    /** The I64 indices that sort along {@code dim}, as {@code torch.argsort(stable=True)}. */
    public Tensor argsort(int dim, boolean descending) {
        return Sorting.argsort(this, dim, descending, "argsort");
    }

    /** The {@code k} largest (or smallest) values along {@code dim}, in order, with their indices, as {@code torch.topk}. */
    public Sorted topk(int k, int dim, boolean largest) {
        return Sorting.topk(this, k, dim, largest);
    }

    /** BOOL: where this is NaN (never for I64 and BOOL). */
    public Tensor isnan() {
        return DerivedElementwise.isnan(this);
    }

    /** BOOL: where this is +∞ or −∞. */
    public Tensor isinf() {
        return DerivedElementwise.isinf(this);
    }

    /** BOOL: where this is neither infinite nor NaN. */
    public Tensor isfinite() {
        return DerivedElementwise.isfinite(this);
    }

    /** Rounded toward zero (gradient 0, as PyTorch's; I64 is copied). */
    public Tensor trunc() {
        return DerivedElementwise.round(this, DerivedElementwise.Mode.TRUNC);
    }

    /** Rounded down (gradient 0). */
    public Tensor floor() {
        return DerivedElementwise.round(this, DerivedElementwise.Mode.FLOOR);
    }

    /** Rounded up (gradient 0). */
    public Tensor ceil() {
        return DerivedElementwise.round(this, DerivedElementwise.Mode.CEIL);
    }

    /** Rounded to the nearest whole number, halves to even, as {@code torch.round} (gradient 0). */
    public Tensor round() {
        return DerivedElementwise.round(this, DerivedElementwise.Mode.HALF_EVEN);
    }

    /** {@code log(1 + x)}, accurate for tiny x. */
    public Tensor log1p() {
        return DerivedElementwise.log1p(this);
    }

    /** {@code e^x − 1}, accurate for tiny x. */
    public Tensor expm1() {
        return DerivedElementwise.expm1(this);
    }

    /** BOOL, broadcast: {@code |this − other| ≤ atol + rtol·|other|}, as {@code torch.isclose}. */
    public Tensor isclose(Tensor other, double rtol, double atol, boolean equalNan) {
        return DerivedElementwise.isclose(this, other, rtol, atol, equalNan);
    }

    /** Whether every element is {@link #isclose} to {@code other} (NaNs never are), as {@code torch.allclose}; reads the answer back. */
    public boolean allclose(Tensor other, double rtol, double atol) {
        try (Tensor close = isclose(other, rtol, atol, false); Tensor all = close.all()) {
            return all.toBooleanArray()[0];
        }
    }

    /** 0-d BOOL: whether any element is nonzero (NaN counts), as {@code torch.any}. */
    public Tensor any() {
        return Reductions.anyOrAll(this, new int[0], false, false);
    }

    /** BOOL: whether any element along {@code dim} is nonzero. */
    public Tensor any(int dim, boolean keepDim) {
        return Reductions.anyOrAll(this, new int[] {dim}, keepDim, false);
    }

    /** 0-d BOOL: whether every element is nonzero, as {@code torch.all}. */
    public Tensor all() {
        return Reductions.anyOrAll(this, new int[0], false, true);
    }

    /** BOOL: whether every element along {@code dim} is nonzero. */
    public Tensor all(int dim, boolean keepDim) {
        return Reductions.anyOrAll(this, new int[] {dim}, keepDim, true);
    }

    /** The 2-norm of all elements (0-d). */
    public Tensor norm() {
        return Reductions.norm(this, 2, new int[0], false);
    }

    /** The {@code p}-norm over {@code dims} (none: all), as {@code torch.linalg.vector_norm}; p = 1, 2, ∞ or any positive number. */
    public Tensor norm(double p, int[] dims, boolean keepDim) {
        return Reductions.norm(this, p, dims, keepDim);
    }

    // ---- indexing -------------------------------------------------------------------------------

    /** {@code value} where {@code mask} (BOOL, broadcast to this shape) holds, this elsewhere, as {@code torch.masked_fill} (a copy). */
    public Tensor maskedFill(Tensor mask, double value) {
        return Indexing.maskedFill(this, mask, value);
    }

    /**
     * The elements where {@code mask} (BOOL, broadcast to this shape) holds, as a 1-D tensor in
     * row-major order: PyTorch's {@code x[mask]} ({@code torch.masked_select}). Its length depends on
     * the mask, so it reads the mask back; the gradient flows to the selected elements.
     */
    public Tensor maskedSelect(Tensor mask) {
        return Indexing.maskedSelect(this, mask);
    }

    /**
     * The I64 indices {@code [n, dim()]} of the n nonzero elements in row-major order, as
     * {@code torch.nonzero}; its shape depends on the values, so it reads them back (waiting for the device).
     */
    public Tensor nonzero() {
        return Indexing.nonzero(this);
    }

    /** The entries of {@code dim} at the I64 indices {@code index} (1-D). */
    public Tensor indexSelect(int dim, Tensor index) {
        return Indexing.indexSelect(this, dim, index);
    }

    /** {@code out[i][j] = x[index[i][j]][j]} for dim 0, and so on, as {@code torch.gather}. */
    public Tensor gather(int dim, Tensor index) {
        return Indexing.gather(this, dim, index);
    }

    /**
     * A copy of this tensor with {@code src} written at {@code index} along {@code dim}, as
     * {@code torch.scatter}: {@code out[index[i][j]][j] = src[i][j]} for dim 0, and so on. Where
     * several sources target one element the result is their mean (PyTorch leaves it undefined).
     */
    public Tensor scatter(int dim, Tensor index, Tensor src) {
        return Indexing.scatter(this, dim, index, src);
    }

    /** {@link #scatter(int, Tensor, Tensor)} of the number {@code value} at every index. */
    public Tensor scatter(int dim, Tensor index, double value) {
        Ops.open("scatter", this, index);
        return Scope.intermediates(() -> Indexing.scatter(this, dim, index, Factories.full(value, dtype(), device(), index.shape)));
    }

    /** A copy of this tensor with {@code src} added at {@code index} along {@code dim}, as {@code torch.scatter_add}. */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        return Indexing.scatterAdd(this, dim, index, src);
    }

    // ---- conversion -----------------------------------------------------------------------------

    /** A copy converted to {@code dtype} (this tensor itself when it already has it). */
    public Tensor to(DType dtype) {
        return Conversions.to(this, dtype);
    }

    /** A copy on {@code device} (this tensor itself when it is already there). */
    public Tensor to(Device device) {
        return Conversions.to(this, device);
    }

    /** A contiguous copy that owns its storage (recorded: gradients flow through it). */
    public Tensor clone() {
        return Conversions.copy(this);
    }

    /** The same storage without autograd history; never requires grad. */
    public Tensor detach() {
        checkOpen("detach");
        return new Tensor(storage, shape, strides, offset);
    }

    // ---- in-place -------------------------------------------------------------------------------

    /** {@code this += other} (broadcast to this shape). Not recorded: use under {@code Autograd.noGrad()} for leaves. */
    public Tensor addInPlace(Tensor other) {
        return Elementwise.inPlace(BinaryOp.ADD, this, other);
    }

    /** {@code this += alpha·other}, the update step of optimizers. */
    public Tensor addInPlace(Tensor other, double alpha) {
        return Elementwise.addScaledInPlace(this, other, alpha);
    }

    public Tensor subInPlace(Tensor other) {
        return Elementwise.inPlace(BinaryOp.SUB, this, other);
    }

    public Tensor mulInPlace(Tensor other) {
        return Elementwise.inPlace(BinaryOp.MUL, this, other);
    }

    public Tensor mulInPlace(double value) {
        return Elementwise.inPlaceScalar(BinaryOp.MUL, this, value);
    }

    public Tensor divInPlace(Tensor other) {
        return Elementwise.inPlace(BinaryOp.DIV, this, other);
    }

    /** Sets every element to {@code value}. */
    public Tensor fillInPlace(double value) {
        return Conversions.fillInPlace(this, value);
    }

    /** Sets every element to 0. */
    public Tensor zeroInPlace() {
        return Conversions.fillInPlace(this, 0);
    }

    /** Copies {@code src} (broadcast to this shape, same dtype and device) into this tensor. */
    public Tensor copyFrom(Tensor src) {
        return Conversions.copyFrom(this, src);
    }

    // ---- autograd -------------------------------------------------------------------------------

    /** Whether gradients are computed for this tensor. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor as a variable to differentiate with respect to; returns this tensor. */
    public Tensor requiresGrad(boolean on) {
        checkOpen("requiresGrad");
        if (on && !dtype().isFloating()) {
            throw new IllegalArgumentException("requiresGrad: only floating tensors can require grad, got " + dtype() + " of shape "
                    + Shape.format(shape) + "; convert with to(DType.F32)");
        }
        if (gradFn != null) {
            throw new IllegalStateException("requiresGrad: tensor of shape " + Shape.format(shape) + " was computed by '" + gradFn.op()
                    + "' and is not a leaf; call detach() first to make a new leaf");
        }
        requiresGrad = on;
        return this;
    }

    /** The accumulated gradient of a leaf, or null before the first backward. */
    public Tensor grad() {
        return grad;
    }

    /** Replaces this leaf's gradient (closing the old one); null clears it. The tensor now owns {@code g}. */
    public void setGrad(Tensor g) {
        checkOpen("setGrad");
        if (g != null && (!java.util.Arrays.equals(g.shape, shape) || g.dtype() != dtype() || !g.device().equals(device()))) {
            throw new IllegalArgumentException("setGrad: gradient " + g.describe() + " does not match tensor " + describe());
        }
        if (grad != null && grad != g) {
            grad.close();
        }
        if (g != null) {
            Scope.escape(g);
        }
        grad = g;
    }

    /** The node that computed this tensor, or null for a leaf. */
    public Node gradFn() {
        return gradFn;
    }

    /** True for tensors not computed by a recorded op. */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /** Backpropagates from this scalar, accumulating into the leaves' {@link #grad()}; frees the graph. */
    public void backward() {
        Autograd.backward(this, null, false);
    }

    /** Backpropagates {@code gradient} (this tensor's shape) from this tensor. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient, false);
    }

    /** Backpropagates from this scalar; with {@code retainGraph} the graph can be walked again. */
    public void backward(boolean retainGraph) {
        Autograd.backward(this, null, retainGraph);
    }

    /** Called by ops: makes this fresh output part of the graph. */
    void attach(Node node) {
        this.gradFn = node;
        this.requiresGrad = true;
    }

    // ---- lifetime -------------------------------------------------------------------------------

    /** Releases this view (and its gradient); the memory goes back when its last view is closed. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (owner != null) {
            Scope.escape(this);
        }
        if (gradFn != null) {
            gradFn.closeTemporaries();
            gradFn = null;
        }
        if (grad != null) {
            Tensor g = grad;
            grad = null;
            g.close();
        }
        storage.release();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Throws IllegalStateException naming {@code op} and this tensor when it has been closed. */
    public void checkOpen(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": tensor of shape " + Shape.format(shape) + " (" + storage.buffer.dtype()
                    + ", " + storage.kernels.device() + ") was used after close(); keep it open, or keep it out of the Scope that closed it");
        }
    }

    /** {@code "[2, 3] F32 cpu"}, as messages describe tensors. */
    public String describe() {
        return Shape.format(shape) + " " + dtype() + " " + device();
    }

    /** Values like PyTorch prints them (abridged when large), then shape, dtype and device. */
    @Override
    public String toString() {
        return Printer.format(this);
    }
}
