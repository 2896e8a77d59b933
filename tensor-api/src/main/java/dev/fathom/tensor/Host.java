package dev.fathom.tensor;

import dev.fathom.spi.Kernels;

/** Reading values back to the host; these are the calls that wait for an asynchronous device. */
final class Host {
    private Host() {
    }

    /** The elements in row-major order in a new host array of the tensor's own dtype. */
    static Object contiguousHostArray(Tensor x) {
        int n = Math.toIntExact(x.numel());
        Object host = switch (x.dtype()) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I64 -> new long[n];
            case BOOL -> new boolean[n];
        };
        if (n == 0) {
            return host;
        }
        Kernels k = Ops.kernels(x.device());
        if (x.isContiguous()) {
            k.download(x.storage.buffer, x.offset, host, 0, n);
        } else {
            try (Scope s = Scope.open(); var g = dev.fathom.autograd.Autograd.noGrad()) {
                Tensor c = Conversions.copy(x);
                k.download(c.storage.buffer, 0, host, 0, n);
            }
        }
        return host;
    }

    static double item(Tensor x) {
        Ops.open("item", x);
        requireOne("item", x);
        Object a = contiguousHostArray(x);
        return switch (x.dtype()) {
            case F32 -> ((float[]) a)[0];
            case F64 -> ((double[]) a)[0];
            case I64 -> ((long[]) a)[0];
            case BOOL -> ((boolean[]) a)[0] ? 1 : 0;
        };
    }

    static long itemLong(Tensor x) {
        Ops.open("itemLong", x);
        requireOne("itemLong", x);
        Object a = contiguousHostArray(x);
        return switch (x.dtype()) {
            case I64 -> ((long[]) a)[0];
            case BOOL -> ((boolean[]) a)[0] ? 1 : 0;
            default -> throw new IllegalArgumentException("itemLong: tensor is " + x.describe() + "; use item() for floats, or .to(DType.I64) first");
        };
    }

    private static void requireOne(String op, Tensor x) {
        if (x.numel() != 1) {
            throw new IllegalArgumentException(op + ": only a one-element tensor has an item, got shape " + Shape.format(x.shape) + " ("
                    + x.numel() + " elements)");
        }
    }

    static float[] toFloatArray(Tensor x) {
        Ops.open("toFloatArray", x);
        Object a = contiguousHostArray(x);
        if (a instanceof float[] f) {
            return f;
        }
        double[] d = toDoubles(a);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    static double[] toDoubleArray(Tensor x) {
        Ops.open("toDoubleArray", x);
        return toDoubles(contiguousHostArray(x));
    }

    private static double[] toDoubles(Object a) {
        if (a instanceof double[] d) {
            return d;
        }
        if (a instanceof float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }
        if (a instanceof long[] l) {
            double[] d = new double[l.length];
            for (int i = 0; i < l.length; i++) {
                d[i] = l[i];
            }
            return d;
        }
        boolean[] b = (boolean[]) a;
        double[] d = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            d[i] = b[i] ? 1 : 0;
        }
        return d;
    }

    static long[] toLongArray(Tensor x) {
        Ops.open("toLongArray", x);
        Object a = contiguousHostArray(x);
        if (a instanceof long[] l) {
            return l;
        }
        if (a instanceof boolean[] b) {
            long[] l = new long[b.length];
            for (int i = 0; i < b.length; i++) {
                l[i] = b[i] ? 1 : 0;
            }
            return l;
        }
        throw new IllegalArgumentException("toLongArray: tensor is " + x.describe() + "; convert with .to(DType.I64) first (truncates toward zero)");
    }

    static boolean[] toBooleanArray(Tensor x) {
        Ops.open("toBooleanArray", x);
        if (x.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("toBooleanArray: tensor is " + x.describe() + "; compare first, e.g. x.ne(0)");
        }
        return (boolean[]) contiguousHostArray(x);
    }
}
