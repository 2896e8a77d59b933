package dev.fathom.conformance;

import dev.fathom.Fathom;
import dev.fathom.spi.Backend;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.DeviceUnavailableException;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.Assumptions;

import static dev.fathom.conformance.Check.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every public entry point rejects bad input before dispatch, with the right exception type and a
 * message that names the op and the shapes (or dtypes, or devices) involved.
 */
class BadInputTest extends ConformanceTest {

    @BackendTest
    void broadcastFailureNamesBothShapes(TestBackends.Case backend) {
        use(backend);
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4, 3), c = Tensor.zeros(3, 2);
        fails(IllegalArgumentException.class, () -> a.add(b), "add", "[2, 3]", "[4, 3]");
        fails(IllegalArgumentException.class, () -> a.mul(c), "mul", "[2, 3]", "[3, 2]");
        fails(IllegalArgumentException.class, () -> a.lt(c), "lt", "[2, 3]", "[3, 2]");
        fails(IllegalArgumentException.class, () -> Tensor.where(a.gt(0), a, c), "where", "[2, 3]", "[3, 2]");
        fails(IllegalArgumentException.class, () -> a.addInPlace(Tensor.zeros(2, 1, 3)), "addInPlace", "[2, 1, 3]", "[2, 3]");
        fails(IllegalArgumentException.class, () -> a.copyFrom(Tensor.zeros(2)), "copyFrom", "[2]", "[2, 3]");
    }

    @BackendTest
    void matmulShapeMessages(TestBackends.Case backend) {
        use(backend);
        String m = fails(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)));
        assertEquals("matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)", m);
        fails(IllegalArgumentException.class, () -> Tensor.zeros(3).matmul(Tensor.zeros(4)), "matmul", "[3]", "[4]", "3 != 4");
        fails(IllegalArgumentException.class, () -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 2)), "matmul", "[2, 2, 3]", "[3, 3, 2]");
        fails(IllegalArgumentException.class, () -> Tensor.scalar(1f).matmul(Tensor.zeros(2)), "matmul", "[]", "[2]");
        fails(IllegalArgumentException.class, () -> Tensor.of(new boolean[] {true}, 1).matmul(Tensor.of(new boolean[] {true}, 1)), "matmul", "BOOL");
    }

    @BackendTest
    void dtypeMismatchSaysHowToConvert(TestBackends.Case backend) {
        use(backend);
        Tensor f32 = Tensor.zeros(2), f64 = Tensor.zeros(DType.F64, 2), i64 = Tensor.arange(2);
        fails(IllegalArgumentException.class, () -> f32.add(f64), "add", "F32", "F64", ".to(DType.");
        fails(IllegalArgumentException.class, () -> f64.matmul(f32), "matmul", "F64", "F32", ".to(DType.");
        fails(IllegalArgumentException.class, () -> f32.mul(i64), "mul", "F32", "I64", ".to(DType.");
        fails(IllegalArgumentException.class, () -> Tensor.cat(0, f32, f64), "cat", "F32", "F64");
        fails(IllegalArgumentException.class, () -> f32.copyFrom(f64), "copyFrom", "F32", "F64");
        fails(IllegalArgumentException.class, () -> Tensor.where(f32, f32, f32), "where", "BOOL");
        fails(IllegalArgumentException.class, () -> i64.exp(), "exp", "I64", ".to(DType.F32)");
        fails(IllegalArgumentException.class, () -> f32.logicalAnd(f32), "logicalAnd", "F32");
        fails(IllegalArgumentException.class, () -> i64.pow(i64), "pow", "I64");
        fails(IllegalArgumentException.class, () -> i64.mean(), "mean", "I64");
        fails(IllegalArgumentException.class, () -> f32.indexSelect(0, Tensor.zeros(1)), "indexSelect", "I64", "F32");
        fails(IllegalArgumentException.class, () -> i64.add(0.5), "add", "0.5", "I64");
        fails(IllegalArgumentException.class, () -> Tensor.rand(dev.fathom.tensor.Generator.global(), DType.I64, 2), "rand", "I64");
    }

    @BackendTest
    void dimsOutOfRange(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(2, 3);
        fails(IllegalArgumentException.class, () -> x.sum(2), "sum", "dim 2", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.sum(-3), "sum", "dim -3", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.sum(0, 0), "sum", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.softmax(5), "softmax", "dim 5", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.transpose(0, 2), "transpose", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.permute(0, 0), "permute");
        fails(IllegalArgumentException.class, () -> x.permute(1), "permute", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.unsqueeze(3), "unsqueeze", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.select(1, 3), "select", "index 3", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.narrow(1, 2, 2), "narrow", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.argmax(2), "argmax", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.max(-3), "max", "[2, 3]");
        fails(IllegalArgumentException.class, () -> Tensor.zeros(2, 0).max(1), "max", "[2, 0]");
        fails(IllegalArgumentException.class, () -> Tensor.cat(0, x, Tensor.zeros(2, 4)), "cat", "[2, 4]", "[2, 3]");
        fails(IllegalArgumentException.class, () -> Tensor.stack(0, x, Tensor.zeros(3, 2)), "stack", "[3, 2]", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.t().t().expand(4, 3), "expand", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.gather(1, Tensor.arange(2)), "gather", "[2]", "[2, 3]");
        fails(IllegalArgumentException.class, () -> Tensor.zeros(2, 2, 2).t(), "t", "[2, 2, 2]");
    }

    @BackendTest
    void incompatibleReshapeAndView(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(2, 3);
        fails(IllegalArgumentException.class, () -> x.reshape(4, 2), "reshape", "[4, 2]", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.reshape(-1, 4), "reshape", "[-1, 4]", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.reshape(-1, -1), "reshape", "-1");
        fails(IllegalArgumentException.class, () -> x.view(7), "view", "[7]", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.t().view(6), "view", "[6]", "[3, 2]", "contiguous");
    }

    @BackendTest
    void closedTensorNamesTheOpAndShape(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(2, 3);
        Tensor other = Tensor.zeros(2, 3);
        x.close();
        fails(IllegalStateException.class, () -> x.add(other), "add", "[2, 3]", "close");
        fails(IllegalStateException.class, () -> other.add(x), "add", "[2, 3]");
        fails(IllegalStateException.class, () -> x.sum(), "sum", "[2, 3]");
        fails(IllegalStateException.class, () -> x.toFloatArray(), "toFloatArray", "[2, 3]");
        fails(IllegalStateException.class, () -> x.reshape(6), "reshape", "[2, 3]");
        fails(IllegalStateException.class, () -> x.matmul(other.t()), "matmul", "[2, 3]");
        fails(IllegalStateException.class, () -> x.fillInPlace(1), "fillInPlace", "[2, 3]");
        x.close();
    }

    @BackendTest
    void backwardMisuse(TestBackends.Case backend) {
        use(backend);
        Tensor w = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        fails(IllegalArgumentException.class, () -> w.mul(2).backward(), "backward", "[2]");
        fails(IllegalArgumentException.class, () -> w.mul(2).backward(Tensor.ones(DType.F64, 3)), "backward", "[3]", "[2]");
        fails(IllegalStateException.class, () -> Tensor.ones(2).sum().backward(), "backward", "requiresGrad");
        fails(IllegalArgumentException.class, () -> Tensor.arange(3).requiresGrad(true), "requiresGrad", "I64", "[3]");
        fails(IllegalArgumentException.class, () -> Tensor.of(new boolean[] {true}, 1).requiresGrad(true), "requiresGrad", "BOOL");
        fails(IllegalArgumentException.class, () -> w.setGrad(Tensor.ones(DType.F64, 3)), "setGrad", "[3]", "[2]");
    }

    @BackendTest
    void tensorOfWithWrongElementCount(TestBackends.Case backend) {
        use(backend);
        fails(IllegalArgumentException.class, () -> Tensor.of(new float[] {1, 2, 3}, 2, 2), "Tensor.of", "3", "[2, 2]");
        fails(IllegalArgumentException.class, () -> Tensor.of(new double[] {1, 2}, 3), "Tensor.of", "2", "[3]");
        fails(IllegalArgumentException.class, () -> Tensor.of(new long[] {1}, -1), "Tensor.of", "[-1]");
        fails(IllegalArgumentException.class, () -> Tensor.zeros(2, -3), "[2, -3]");
        fails(IllegalArgumentException.class, () -> Tensor.full(0.5, DType.I64, 2), "Tensor.full", "0.5", "I64");
        fails(IllegalArgumentException.class, () -> Tensor.arange(0, 1, 0, DType.F32), "arange", "step");
        fails(IllegalArgumentException.class, () -> Tensor.bernoulli(1.5, DType.F32, dev.fathom.tensor.Generator.global(), 2), "bernoulli", "1.5");
        fails(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).item(), "item", "[2, 3]");
    }

    @BackendTest
    void cudaWhenUnusableFailsWithTheReason(TestBackends.Case backend) {
        use(backend);
        Backend cuda = Backends.find("cuda");
        Assumptions.assumeTrue(cuda == null || !cuda.availability().available(), "a usable CUDA backend is present");
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, Device::cuda);
        assertTrue(e.getMessage().startsWith("cuda:0 is not available: ") && e.getMessage().length() > "cuda:0 is not available: ".length() + 5,
                "the message gives a reason: " + e.getMessage());
        if (cuda != null) {
            assertTrue(e.getMessage().contains(cuda.availability().reason()), e.getMessage());
        }
        assertEquals(new Device("cuda", 0), e.device());
        assertThrows(DeviceUnavailableException.class, () -> Device.parse("cuda:0"));
        assertThrows(DeviceUnavailableException.class, () -> Device.cuda(3));
    }

    /** A bad fathom.device names where the default device came from; a CPU index other than 0 is printed. */
    @BackendTest
    void aBadConfiguredDeviceSaysWhereItCameFrom(TestBackends.Case backend) {
        use(backend);
        String before = System.getProperty("fathom.device");
        try {
            System.setProperty("fathom.device", "cuda:x");
            Fathom.setDefaultDevice(null);
            fails(IllegalArgumentException.class, Fathom::defaultDevice, "Device.parse: bad device index in \"cuda:x\"",
                    "(the default device comes from the system property fathom.device)");
            System.setProperty("fathom.device", "cpu:3");
            Fathom.setDefaultDevice(null);
            DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, Fathom::defaultDevice);
            assertEquals("cpu:3 is not available: backend cpu has 1 device(s); index 3 is out of range (the default device \"cpu:3\" comes "
                    + "from the system property fathom.device)", e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("fathom.device");
            } else {
                System.setProperty("fathom.device", before);
            }
            Fathom.setDefaultDevice(null);
        }
    }

    @BackendTest
    void mixingDevicesNamesBoth(TestBackends.Case backend) {
        Device device = use(backend);
        Backend other = Backends.all().stream().filter(b -> !b.name().equals(device.type()) && b.availability().available()).findFirst().orElse(null);
        Assumptions.assumeTrue(other != null, "only one usable backend: nothing to mix with");
        Tensor a = Tensor.zeros(2), b = Tensor.zeros(DType.F32, new Device(other.name(), 0), 2);
        fails(IllegalArgumentException.class, () -> a.add(b), "add", device.toString(), other.name(), ".to(Device)");
    }

    @BackendTest
    void nullArgumentsAreNamedWithTheirOp(TestBackends.Case backend) {
        use(backend);
        assertEquals("Tensor.of: shape is null (give none for 1-D)",
                assertThrows(NullPointerException.class, () -> Tensor.of(new float[] {1}, (int[]) null)).getMessage());
        assertEquals("randn: generator is null (use Generator.global())",
                assertThrows(NullPointerException.class, () -> Tensor.randn(null, DType.F32, 2)).getMessage());
        assertEquals("rand: dtype is null", assertThrows(NullPointerException.class,
                () -> Tensor.rand(dev.fathom.tensor.Generator.global(), null, 2)).getMessage());
        assertEquals("Scope.escape: the tensor is null", assertThrows(NullPointerException.class, () -> dev.fathom.tensor.Scope.escape(null)).getMessage());
        assertEquals("SGD: got null for the parameter list; pass model.parameters()",
                assertThrows(IllegalArgumentException.class, () -> new dev.fathom.optim.SGD(null, 0.1)).getMessage());
        assertEquals("SGD: got an empty parameter list; pass model.parameters()",
                assertThrows(IllegalArgumentException.class, () -> new dev.fathom.optim.SGD(java.util.List.of(), 0.1)).getMessage());
    }
}
