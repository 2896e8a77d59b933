package dev.fathom.conformance;

import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In-place ops (addInPlace, subInPlace, mulInPlace, divInPlace, fillInPlace, zeroInPlace, copyFrom)
 * on contiguous and non-contiguous targets with broadcast sources, including a source that
 * overlaps its target; each bumps the storage version that autograd checks.
 */
class InPlaceTest extends ConformanceTest {

    /** A target in {@code layout} that is a view into a bigger tensor, so that writes outside it would show. */
    private record Target(Tensor base, Ref baseRef, Tensor view, int[] at) {
    }

    /** The 3x4 view at rows 1..3, columns 2..5 of a 5x7 base, seen directly or transposed back from a [7, 5] base. */
    private static Target target(Inputs in, DType dt, boolean transposed) {
        Ref baseRef = in.values(transposed ? new int[] {7, 5} : new int[] {5, 7}, dt, -4, 4);
        Tensor base = Inputs.upload(baseRef, dt);
        Tensor view = transposed ? base.t().narrow(0, 1, 3).narrow(1, 2, 4) : base.narrow(0, 1, 3).narrow(1, 2, 4);
        return new Target(base, baseRef, view, new int[] {1, 2});
    }

    /** The base's expected values after {@code expectedView} was written into the view. */
    private static Ref expectBase(Target t, boolean transposed, Ref expectedView) {
        Ref logical = transposed ? t.baseRef().transpose(0, 1) : t.baseRef();
        double[] d = logical.data.clone();
        Ref out = new Ref(logical.shape, d);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                d[out.flat(new int[] {i + 1, j + 2})] = expectedView.get(i, j);
            }
        }
        return transposed ? out.transpose(0, 1) : out;
    }

    @BackendTest
    void arithmeticInPlaceOnViewsWithBroadcastSources(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(1);
        int[][] sourceShapes = {{3, 4}, {4}, {3, 1}, {}, {1, 4}};
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64}) {
            for (boolean transposed : new boolean[] {false, true}) {
                for (int[] ss : sourceShapes) {
                    for (String op : new String[] {"add", "sub", "mul", "div", "addScaled"}) {
                        if (op.equals("div") && dt == DType.I64) {
                            continue;
                        }
                        Target t = target(in, dt, transposed);
                        Ref viewRef = (transposed ? t.baseRef().transpose(0, 1) : t.baseRef()).narrow(0, 1, 3).narrow(1, 2, 4);
                        Pair src = in.random(ss, dt, Layout.values()[in.random.nextInt(4)], -1, 1,
                                u -> Math.copySign(0.5 + 2 * Math.abs(u), u));
                        int before = t.view().version();
                        Tensor returned = switch (op) {
                            case "add" -> t.view().addInPlace(src.tensor());
                            case "sub" -> t.view().subInPlace(src.tensor());
                            case "mul" -> t.view().mulInPlace(src.tensor());
                            case "div" -> t.view().divInPlace(src.tensor());
                            default -> t.view().addInPlace(src.tensor(), dt == DType.I64 ? 3 : 0.5);
                        };
                        assertSame(t.view(), returned, op + "InPlace returns its target");
                        assertTrue(t.view().version() > before, op + "InPlace bumps the version");
                        double alpha = dt == DType.I64 ? 3 : 0.5;
                        Ref expected = viewRef.zip(src.ref(), (a, b) -> Inputs.round(switch (op) {
                            case "add" -> a + b;
                            case "sub" -> a - b;
                            case "mul" -> a * b;
                            case "div" -> a / b;
                            default -> a + alpha * b;
                        }, dt));
                        String what = op + "InPlace " + (transposed ? "transposed" : "narrowed") + " target, source " + java.util.Arrays.toString(ss);
                        Check.close(what, t.view(), expected, dt, 1e-6, 1e-6);
                        Check.close(what + " (the whole base)", t.base(), expectBase(t, transposed, expected), dt, 1e-6, 1e-6);
                    }
                }
            }
        }
        Tensor s = Tensor.of(new double[] {2, 3}, 2);
        s.mulInPlace(2.5);
        Check.exact("mulInPlace(double)", s, Ref.of(new int[] {2}, 5, 7.5), DType.F64);
    }

    @BackendTest
    void fillZeroAndCopyFrom(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(2);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64, DType.BOOL}) {
            for (boolean transposed : new boolean[] {false, true}) {
                Target t = target(in, dt, transposed);
                t.view().fillInPlace(1);
                Check.exact("fillInPlace " + dt, t.base(), expectBase(t, transposed, Ref.full(new int[] {3, 4}, 1)), dt);
                t = target(in, dt, transposed);
                t.view().zeroInPlace();
                Check.exact("zeroInPlace " + dt, t.base(), expectBase(t, transposed, Ref.full(new int[] {3, 4}, 0)), dt);
                for (int[] ss : new int[][] {{3, 4}, {4}, {3, 1}, {}}) {
                    for (Layout layout : Layout.values()) {
                        t = target(in, dt, transposed);
                        Pair src = in.random(ss, dt, layout, -4, 4);
                        t.view().copyFrom(src.tensor());
                        Check.exact("copyFrom " + java.util.Arrays.toString(ss) + " " + layout + " into a " + (transposed ? "transposed" : "narrowed")
                                + " view", t.base(), expectBase(t, transposed, src.ref().broadcastTo(new int[] {3, 4})), dt);
                    }
                }
            }
        }
        Tensor empty = Tensor.zeros(DType.F32, 0, 3);
        empty.fillInPlace(2);
        assertEquals(0, empty.numel());
    }

    @BackendTest
    void overlappingSourceReadsTheOldValues(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3);
        x.addInPlace(x.t());
        Check.exact("x += xᵀ (source overlaps the target)", x, Ref.of(new int[] {3, 3}, 2, 6, 10, 6, 10, 14, 10, 14, 18), DType.F64);
        Tensor y = Tensor.of(new double[] {1, 2, 3, 4, 5}, 5);
        y.narrow(0, 1, 4).copyFrom(y.narrow(0, 0, 4));
        Check.exact("shift right by copyFrom of an overlapping view", y, Ref.of(new int[] {5}, 1, 1, 2, 3, 4), DType.F64);
        Tensor z = Tensor.of(new double[] {1, 2, 3}, 3);
        z.mulInPlace(z);
        Check.exact("z *= z (same layout)", z, Ref.of(new int[] {3}, 1, 4, 9), DType.F64);
    }
}
