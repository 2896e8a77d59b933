package dev.fathom.conformance;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.nn.Sequential;
import dev.fathom.optim.Adam;
import dev.fathom.optim.OneCycleLR;
import dev.fathom.optim.SGD;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.function.Executable;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A null where a public entry point needs a value fails at once with a NullPointerException whose
 * message names the call and the argument, not later from inside a collection or a backend.
 */
class NullArgumentsTest extends ConformanceTest {

    private static void nullFails(String message, Executable call) {
        assertEquals(message, assertThrows(NullPointerException.class, call).getMessage());
    }

    @BackendTest
    void tensorsAndShapes(TestBackends.Case backend) {
        use(backend);
        nullFails("Tensor.of: the data array is null", () -> Tensor.of((float[]) null));
        nullFails("Tensor.of: the data array is null", () -> Tensor.of((long[]) null, 2));
        nullFails("Tensor.full: the shape is null", () -> Tensor.zeros((int[]) null));
        nullFails("Tensor.full: dtype is null", () -> Tensor.full(1, (DType) null, 2));
        nullFails("zerosLike: a tensor argument is null", () -> Tensor.zerosLike(null));
        Tensor x = Tensor.ones(2, 3);
        nullFails("reshape: the shape is null", () -> x.reshape((int[]) null));
        nullFails("sum: dims is null; pass no dims to reduce over all of them", () -> x.sum((int[]) null));
        nullFails("to: the dtype is null", () -> x.to((DType) null));
        nullFails("to: the device is null", () -> x.to((Device) null));
        nullFails("flip: dims is null; name the dims to reverse", () -> x.flip((int[]) null));
        nullFails("repeat: repeats is null", () -> x.repeat((int[]) null));
        nullFails("roll: shifts is null", () -> x.roll(null, 0));
        nullFails("oneHot: labels is null", () -> dev.fathom.nn.Functional.oneHot(null, 3));
        nullFails("pad: pad is null", () -> dev.fathom.nn.Functional.pad(x, null, 0));
        nullFails("conv1d: weight is null", () -> dev.fathom.nn.Functional.conv1d(x.unsqueeze(0), null, null, 1, 0, 1, 1));
        nullFails("upsampleNearest: input is null", () -> dev.fathom.nn.Functional.upsampleNearest(null, 2));
        try (Scope s = Scope.open()) {
            nullFails("Scope.keep: the tensor is null", () -> s.keep(null));
        }
    }

    @BackendTest
    void modulesOptimizersAndAutograd(TestBackends.Case backend) {
        use(backend);
        nullFails("Parameter: the tensor is null", () -> new Parameter(null, true));
        try (Parameter p = new Parameter(Tensor.zeros(2), true)) {
            nullFails("Parameter.set: the tensor is null", () -> p.set(null));
            nullFails("Adam: the config is null; pass Config.defaults() or a copy of it with the changes",
                    () -> new Adam(List.of(p), (Adam.Config) null));
            try (SGD sgd = new SGD(List.of(p), 0.1)) {
                nullFails("OneCycleLR: the config is null; pass Config.defaults() or a copy of it with the changes",
                        () -> new OneCycleLR(sgd, 0.5, 4, null));
            }
            Tensor y = p.data().mul(2).sum();
            nullFails("Autograd.grad: an input is null", () -> Autograd.grad(new Tensor[] {y}, new Tensor[] {p.data(), null}, false));
            nullFails("Autograd.grad: output 0 is null", () -> Autograd.grad(new Tensor[] {null}, new Tensor[] {p.data()}, false));
        }
        nullFails("Sequential: layer 1 is null", () -> new Sequential(new Sequential(), null));
        Module m = new Sequential();
        nullFails("loadStateDict(Sequential): the state is null", () -> m.loadStateDict(null, true));
        Map<String, Tensor> withNull = new HashMap<>();
        withNull.put("w", null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(withNull, false));
        assertEquals("loadStateDict(Sequential): \"w\" is null", e.getMessage());
    }
}
