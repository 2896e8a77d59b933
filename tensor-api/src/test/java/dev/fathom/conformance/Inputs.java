package dev.fathom.conformance;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

/**
 * Test inputs: fixed-seed random values (already rounded to the dtype, so that the reference sees
 * exactly what the tensor holds) and the layouts every op must handle. A {@link Layout} other
 * than CONTIGUOUS builds a non-contiguous tensor holding the same logical values:
 * <ul>
 *   <li>PERMUTED: the data is written in a permuted order, then {@code permute} brings it back;</li>
 *   <li>NARROWED: a bigger tensor, padded with garbage (NaN for floats) on one dim, is {@code narrow}ed;</li>
 *   <li>EXPANDED: a size-1 (or missing leading) dim is {@code expand}ed, so the values repeat along it
 *       (stride 0). Only {@link #random} can make it, because the values must repeat.</li>
 * </ul>
 * Tensors are made on the default device (set by {@link ConformanceTest#use}).
 */
final class Inputs {
    enum Layout { CONTIGUOUS, PERMUTED, NARROWED, EXPANDED }

    /** The same logical values as a reference and as a tensor. */
    record Pair(Ref ref, Tensor tensor) {
    }

    /** Shapes every elementwise op is run on: 0-d, size-0, size-1, odd sizes. */
    static final List<int[]> SHAPES = List.of(
            new int[] {}, new int[] {0}, new int[] {1}, new int[] {7}, new int[] {3, 0, 2}, new int[] {1, 1},
            new int[] {2, 3}, new int[] {4, 1, 5}, new int[] {2, 3, 2, 3}, new int[] {37});

    /** Shape pairs that broadcast: a scalar, missing leading dims, size-1 dims on either side, size 0. */
    static final List<int[][]> BROADCAST_PAIRS = List.of(
            new int[][] {{2, 3}, {2, 3}}, new int[][] {{}, {4}}, new int[][] {{3, 1}, {1, 4}}, new int[][] {{2, 3, 4}, {4}},
            new int[][] {{5, 1, 3}, {4, 1}}, new int[][] {{1}, {}}, new int[][] {{0, 3}, {1, 3}}, new int[][] {{2, 1, 1}, {1, 7, 1}},
            new int[][] {{17}, {17}});

    final SplittableRandom random;

    Inputs(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The value as the dtype stores it (F32 rounding, integer truncation, boolean as 0/1). */
    static double round(double v, DType dtype) {
        return switch (dtype) {
            case F32 -> (float) v;
            case F64 -> v;
            case I64 -> Math.rint(v);
            case BOOL -> v != 0 ? 1 : 0;
        };
    }

    /** Uniform values in [lo, hi) (BOOL: fair coin), rounded to the dtype. */
    Ref values(int[] shape, DType dtype, double lo, double hi) {
        return values(shape, dtype, lo, hi, u -> u);
    }

    /** {@code draw(u)} for u uniform in [lo, hi) (BOOL: fair coin), rounded to the dtype. */
    Ref values(int[] shape, DType dtype, double lo, double hi, DoubleUnaryOperator draw) {
        double[] d = new double[(int) Ref.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = dtype == DType.BOOL ? (random.nextBoolean() ? 1 : 0) : round(draw.applyAsDouble(random.nextDouble(lo, hi)), dtype);
        }
        return new Ref(shape, d);
    }

    /** Random values in {@code layout}; see {@link #values} for the ranges. */
    Pair random(int[] shape, DType dtype, Layout layout, double lo, double hi) {
        return random(shape, dtype, layout, lo, hi, u -> u);
    }

    /** Random values {@code draw(u)} in {@code layout}. */
    Pair random(int[] shape, DType dtype, Layout layout, double lo, double hi, DoubleUnaryOperator draw) {
        if (layout == Layout.EXPANDED) {
            int[] base = expandBase(shape);
            if (base != null) {
                Ref small = values(base, dtype, lo, hi, draw);
                return new Pair(small.broadcastTo(shape), upload(small, dtype).expand(shape));
            }
            layout = Layout.CONTIGUOUS;
        }
        Ref r = values(shape, dtype, lo, hi, draw);
        return new Pair(r, tensor(r, dtype, layout));
    }

    /** The shape to expand from: the first dim of size != 1 made 1, else one leading dim fewer; null for 0-d. */
    private static int[] expandBase(int[] shape) {
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] != 1) {
                int[] base = shape.clone();
                base[d] = 1;
                return base;
            }
        }
        return shape.length == 0 ? null : Arrays.copyOfRange(shape, 1, shape.length);
    }

    /** A tensor with r's values (already in the dtype) in a contiguous, permuted or narrowed layout. */
    Tensor tensor(Ref r, DType dtype, Layout layout) {
        return switch (layout) {
            case CONTIGUOUS, EXPANDED -> upload(r, dtype);
            case PERMUTED -> permuted(r, dtype);
            case NARROWED -> narrowed(r, dtype);
        };
    }

    /** A contiguous tensor of dtype holding r. */
    static Tensor upload(Ref r, DType dtype) {
        if (r.rank() == 0) {
            double v = r.data[0];
            return switch (dtype) {
                case F64 -> Tensor.scalar(v);
                case F32 -> Tensor.scalar((float) v);
                case I64 -> Tensor.scalar((long) v);
                case BOOL -> Tensor.scalar(v != 0);
            };
        }
        double[] d = r.data;
        return switch (dtype) {
            case F64 -> Tensor.of(d.clone(), r.shape);
            case F32 -> {
                float[] f = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    f[i] = (float) d[i];
                }
                yield Tensor.of(f, r.shape);
            }
            case I64 -> {
                long[] l = new long[d.length];
                for (int i = 0; i < d.length; i++) {
                    l[i] = (long) d[i];
                }
                yield Tensor.of(l, r.shape);
            }
            case BOOL -> {
                boolean[] b = new boolean[d.length];
                for (int i = 0; i < d.length; i++) {
                    b[i] = d[i] != 0;
                }
                yield Tensor.of(b, r.shape);
            }
        };
    }

    /** Written as r.permute(p) contiguously, then permuted back with the inverse of p. */
    Tensor permuted(Ref r, DType dtype) {
        int n = r.rank();
        if (n < 2) {
            return narrowed(r, dtype);
        }
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = n - 1 - i;
        }
        // A reversal, then a random swap so that not only full reversals are exercised.
        int a = random.nextInt(n), b = random.nextInt(n);
        int t = p[a];
        p[a] = p[b];
        p[b] = t;
        boolean identity = true;
        for (int i = 0; i < n; i++) {
            identity &= p[i] == i;
        }
        if (identity) {
            p[0] = 1;
            p[1] = 0;
        }
        int[] inverse = new int[n];
        for (int i = 0; i < n; i++) {
            inverse[p[i]] = i;
        }
        return upload(r.permute(p), dtype).permute(inverse);
    }

    /** A slice of a bigger tensor: 2 garbage entries before and 1 after on one dim. */
    Tensor narrowed(Ref r, DType dtype) {
        if (r.rank() == 0) {
            Ref big = Ref.of(new int[] {3}, garbage(dtype), r.data[0], garbage(dtype));
            return upload(big, dtype).select(0, 1);
        }
        int d = random.nextInt(r.rank());
        int[] bigShape = r.shape.clone();
        bigShape[d] += 3;
        double[] big = new double[(int) Ref.numel(bigShape)];
        for (int f = 0; f < big.length; f++) {
            int[] idx = Ref.unravel(f, bigShape);
            if (idx[d] < 2 || idx[d] >= r.shape[d] + 2) {
                big[f] = garbage(dtype);
            } else {
                idx[d] -= 2;
                big[f] = r.get(idx);
            }
        }
        return upload(new Ref(bigShape, big), dtype).narrow(d, 2, r.shape[d]);
    }

    private double garbage(DType dtype) {
        return switch (dtype) {
            case F32, F64 -> Double.NaN;
            case I64 -> -987654321;
            case BOOL -> random.nextBoolean() ? 1 : 0;
        };
    }

    /** A random shape of rank 0..maxRank with sizes 0..maxSize (sizes 0 and 1 come up often). */
    int[] shape(int maxRank, int maxSize) {
        int[] s = new int[random.nextInt(maxRank + 1)];
        for (int i = 0; i < s.length; i++) {
            int roll = random.nextInt(10);
            s[i] = roll == 0 ? 0 : roll == 1 ? 1 : 1 + random.nextInt(maxSize);
        }
        return s;
    }
}
