package dev.fathom.cpu;

import dev.fathom.spi.Philox;
import dev.fathom.spi.RandomOp;
import dev.fathom.spi.Strided;

/** Random fills, element by element exactly as {@link RandomOp} defines them, in parallel by pairs. */
final class RandomKernels {
    private RandomKernels() {
    }

    static void random(RandomOp op, Strided os, long seed, long counter, double a, double b) {
        CpuBuffer o = CpuBuffer.of(os.buffer());
        int base = (int) os.offset();
        long n = os.numel();
        // Chunks start at even elements so that each Philox block is computed by one task.
        Parallel.forRange(n, 1 << 14, 2, (lo, hi) -> {
            int[] w = new int[4];
            for (long i = lo; i < hi; i++) {
                if ((i & 1) == 0 || i == lo) {
                    Philox.block(counter + (i >>> 1), seed, w);
                }
                int k = (int) (i & 1) * 2;
                int w0 = w[k], w1 = w[k + 1];
                int at = base + (int) i;
                switch (op) {
                    case UNIFORM -> {
                        if (o.f != null) {
                            o.f[at] = (float) (a + (b - a) * Philox.uniformFloat(w0));
                        } else {
                            o.d[at] = a + (b - a) * Philox.uniformDouble(w0, w1);
                        }
                    }
                    case NORMAL -> {
                        double z = a + b * Philox.normal(w0, w1);
                        if (o.f != null) {
                            o.f[at] = (float) z;
                        } else {
                            o.d[at] = z;
                        }
                    }
                    case BERNOULLI -> {
                        boolean hit = Philox.uniformFloat(w0) < a;
                        switch (o.dtype) {
                            case F32 -> o.f[at] = hit ? 1f : 0f;
                            case F64 -> o.d[at] = hit ? 1 : 0;
                            case I64 -> o.l[at] = hit ? 1 : 0;
                            case BOOL -> o.b[at] = hit;
                        }
                    }
                }
            }
        });
    }
}
