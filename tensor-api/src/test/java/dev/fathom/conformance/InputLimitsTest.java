package dev.fathom.conformance;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Parameter;
import dev.fathom.optim.CosineAnnealingLR;
import dev.fathom.optim.OneCycleLR;
import dev.fathom.optim.ReduceLROnPlateau;
import dev.fathom.optim.SGD;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.fathom.conformance.Check.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Input at the edges of what a tensor can hold, each once a silent wrong answer: an in-place write
 * into an expanded view (several elements, one memory location), I64 scalars beyond a long, element
 * counts beyond a long, a slice step that overflowed an int, arange in the wrong direction, I64
 * compared with a fraction, indices out of range, a gradient of the wrong dtype, and schedule and
 * optimizer states that a run could not continue from.
 */
class InputLimitsTest extends ConformanceTest {

    @BackendTest
    void inPlaceWritesIntoAnExpandedViewAreRefusedAndLeaveItAlone(TestBackends.Case backend) {
        use(backend);
        Tensor b = Tensor.zeros(1, 3);
        Tensor e = b.expand(4, 3);
        fails(IllegalArgumentException.class, () -> e.addInPlace(Tensor.ones(4, 3)), "addInPlace", "[4, 3] F32", "stride 0 in dim 0", "clone()");
        fails(IllegalArgumentException.class, () -> e.mulInPlace(2.0), "mulInPlace", "stride 0 in dim 0");
        fails(IllegalArgumentException.class, () -> e.copyFrom(Tensor.ones(4, 3)), "copyFrom", "stride 0 in dim 0");
        fails(IllegalArgumentException.class, () -> e.fillInPlace(1), "fillInPlace", "stride 0 in dim 0");
        fails(IllegalArgumentException.class, () -> e.addInPlace(Tensor.ones(4, 3), 0.5), "addInPlace", "stride 0 in dim 0");
        assertArrayEquals(new float[] {0, 0, 0}, b.toFloatArray(), "a refused write changes nothing");
        // A size-1 dim of stride 0 is one element: writing it is fine, as in PyTorch.
        Tensor one = Tensor.zeros(3).unsqueeze(0).expand(1, 3);
        one.addInPlace(Tensor.of(new float[] {1, 2, 3}));
        assertArrayEquals(new float[] {1, 2, 3}, one.toFloatArray());
    }

    @BackendTest
    void i64ScalarsBeyondALongAreRefusedNotSaturated(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.arange(3);
        fails(IllegalArgumentException.class, () -> x.add(1e19), "add", "1.0E19 is beyond the range of I64");
        fails(IllegalArgumentException.class, () -> x.mul(Double.POSITIVE_INFINITY), "mul", "Infinity is beyond the range of I64");
        fails(IllegalArgumentException.class, () -> Tensor.full(Double.POSITIVE_INFINITY, DType.I64, 2), "Tensor.full", "beyond the range of I64");
        fails(IllegalArgumentException.class, () -> Tensor.full(0x1p63, DType.I64, 2), "Tensor.full", "beyond the range of I64");
        fails(IllegalArgumentException.class, () -> Tensor.full(Double.NaN, DType.I64, 2), "Tensor.full", "NaN is not an integer");
        fails(IllegalArgumentException.class, () -> Tensor.arange(2).fillInPlace(1e30), "fillInPlace", "beyond the range of I64");
        // -2^63 is a long: the one bound that is allowed.
        assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MIN_VALUE}, Tensor.full(-0x1p63, DType.I64, 2).toLongArray());
    }

    @BackendTest
    void i64ComparesWithFractionsExactlyAsPyTorchDoes(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new long[] {-3, -2, 2, 3});
        assertArrayEquals(new boolean[] {true, true, true, false}, x.lt(2.5).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, true, false}, x.le(2.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, false, true}, x.gt(2.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, false, true}, x.ge(2.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, true, true, true}, x.gt(-2.5).toBooleanArray());
        assertArrayEquals(new boolean[] {true, false, false, false}, x.lt(-2.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, false, false}, x.eq(2.5).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, true, true}, x.ne(2.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, false, false}, x.lt(Double.NaN).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, true, true}, x.ne(Double.NaN).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, true, true}, x.lt(1e19).toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, false, false}, x.ge(Double.POSITIVE_INFINITY).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, true, true}, x.gt(-1e19).toBooleanArray());
        assertArrayEquals(new int[] {2, 2}, Tensor.arange(4).reshape(2, 2).lt(0.5).shape());
    }

    @BackendTest
    void shapesBeyondALongAreRefused(TestBackends.Case backend) {
        use(backend);
        fails(IllegalArgumentException.class, () -> Tensor.zeros(65536, 65536, 65536, 65536), "[65536, 65536, 65536, 65536]", "more than 2^63");
        fails(IllegalArgumentException.class, () -> Tensor.zeros(1).expand(65536, 65536, 65536, 65536), "expand", "more than 2^63");
        fails(IllegalArgumentException.class, () -> Tensor.zeros(0).reshape(65536, 65536, 65536, 65536), "reshape", "more than 2^63");
        assertArrayEquals(new int[] {65536, 65536, 65536, 0}, Tensor.zeros(0).reshape(65536, 65536, 65536, 0).shape(),
                "a zero dim makes any shape empty");
    }

    @BackendTest
    void sliceStepsNearIntMaxAndArangeDirection(TestBackends.Case backend) {
        use(backend);
        assertArrayEquals(new long[] {1}, Tensor.arange(5).slice(0, 1, 5, Integer.MAX_VALUE - 1).toLongArray());
        assertArrayEquals(new long[] {0}, Tensor.arange(5).slice(0, 0, 5, Integer.MAX_VALUE).toLongArray());
        fails(IllegalArgumentException.class, () -> Tensor.arange(-5), "arange", "goes away from the end");
        fails(IllegalArgumentException.class, () -> Tensor.arange(0, 5, -1, DType.F32), "arange", "goes away from the end");
        fails(IllegalArgumentException.class, () -> Tensor.arange(Double.NaN, 5, 1, DType.F32), "arange", "finite bounds");
        assertEquals(0, Tensor.arange(0).numel(), "an empty range is fine");
        assertArrayEquals(new long[] {5, 4, 3, 2, 1}, Tensor.arange(5, 0, -1, DType.I64).toLongArray());
    }

    @BackendTest
    void indicesOutOfRangeNameTheOpAndShapes(TestBackends.Case backend) {
        use(backend);
        // The CPU checks as it gathers and names the op called, with the shapes. A GPU checks while
        // the kernel runs and reports at the next wait (reading the result waits), naming its kernel.
        boolean cpu = backend.name().equals("cpu");
        Tensor x = Tensor.of(new float[] {1, 2, 3});
        String m = fails(IndexOutOfBoundsException.class, () -> x.indexSelect(0, Tensor.of(new long[] {5})).toFloatArray(),
                "index 5 is out of range for dim 0 of size 3");
        if (cpu) {
            assertTrue(m.startsWith("indexSelect: ") && m.contains("input [3] F32 cpu") && m.contains("index [1] I64 cpu"), m);
        }
        // The index named is the one passed, not the gather index it becomes ([2] spread over [2, 2]).
        Tensor rows = Tensor.zeros(3, 2);
        m = fails(IndexOutOfBoundsException.class, () -> rows.indexSelect(0, Tensor.of(new long[] {0, 5})).toFloatArray(),
                "index 5 is out of range for dim 0 of size 3");
        if (cpu) {
            assertTrue(m.startsWith("indexSelect: ") && m.contains("input [3, 2] F32 cpu") && m.contains("(index [2] I64 cpu)"), m);
        }
        fails(IndexOutOfBoundsException.class, () -> x.gather(0, Tensor.of(new long[] {-1})).toFloatArray(), "gather", "index -1");
        m = fails(IndexOutOfBoundsException.class, () -> x.scatterAdd(0, Tensor.of(new long[] {3}), Tensor.ones(1)).toFloatArray(),
                "scatterAdd", "index 3");
        if (cpu) {
            assertTrue(m.startsWith("scatterAdd: ") && m.contains("input [3] F32 cpu"), m);
        }
    }

    @BackendTest
    void aGradientOfAnotherDtypeIsRefusedByBackward(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.ones(2).requiresGrad(true);
        Tensor y = x.mul(2);
        fails(IllegalArgumentException.class, () -> y.backward(Tensor.ones(DType.F64, 2)), "backward", "[2] F64", "[2] F32");
        fails(IllegalArgumentException.class, () -> Autograd.grad(new Tensor[] {y}, new Tensor[] {Tensor.ones(DType.F64, 2)}, new Tensor[] {x}, false, false),
                "[2] F64", "[2] F32");
    }

    @BackendTest
    void aScheduleRefusesAStateItCannotContinueFromAndStaysAsItWas(TestBackends.Case backend) {
        use(backend);
        try (Parameter p = new Parameter(Tensor.zeros(2), true); SGD opt = new SGD(List.of(p), 0.1)) {
            CosineAnnealingLR cosine = new CosineAnnealingLR(opt, 10);
            cosine.step();
            double lr = opt.lr();
            Map<String, Number> infinite = new LinkedHashMap<>(cosine.stateDict());
            infinite.put("base_lr", Double.POSITIVE_INFINITY);
            infinite.put("step", 3L);
            fails(IllegalArgumentException.class, () -> cosine.loadStateDict(infinite), "CosineAnnealingLR.loadStateDict", "base_lr Infinity");
            assertEquals(1, cosine.stepCount());
            assertEquals(lr, opt.lr());

            OneCycleLR cycle = new OneCycleLR(opt, 0.5, 4);
            double cycleLr = opt.lr();
            Map<String, Number> beyond = new LinkedHashMap<>(cycle.stateDict());
            beyond.put("step", 5L);
            fails(IllegalArgumentException.class, () -> cycle.loadStateDict(beyond), "OneCycleLR.loadStateDict", "step 5");
            assertEquals(0, cycle.stepCount());
            assertEquals(cycleLr, opt.lr());

            ReduceLROnPlateau plateau = new ReduceLROnPlateau(opt, ReduceLROnPlateau.Config.defaults());
            Map<String, Number> negative = new LinkedHashMap<>(plateau.stateDict());
            negative.put("bad_epochs", -1L);
            fails(IllegalArgumentException.class, () -> plateau.loadStateDict(negative), "ReduceLROnPlateau.loadStateDict", "bad_epochs");
            assertEquals(cycleLr, opt.lr());
        }
    }
}
