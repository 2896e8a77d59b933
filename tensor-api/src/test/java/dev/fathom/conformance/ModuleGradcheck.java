package dev.fathom.conformance;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.Gradcheck;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradcheck of a whole F64 module: its input and every parameter are the checked inputs. Gradcheck
 * hands the function fresh tensors for perturbed inputs, while a module reads its own parameters,
 * so the function copies a perturbed value into the parameter (and the pristine value back when
 * it gets the original tensor again) before running the module.
 */
final class ModuleGradcheck {
    private ModuleGradcheck() {
    }

    static void check(Module m, UnaryOperator<Tensor> forward, Tensor x) {
        List<Parameter> ps = m.parameters();
        Tensor[] inputs = new Tensor[ps.size() + 1];
        double[][] pristine = new double[ps.size()][];
        inputs[0] = x;
        for (int j = 0; j < ps.size(); j++) {
            inputs[j + 1] = ps.get(j).data();
            pristine[j] = ps.get(j).data().toDoubleArray();
        }
        boolean[] dirty = new boolean[ps.size()];
        Gradcheck.Report report = Gradcheck.check(t -> {
            try (var g = Autograd.noGrad()) {
                for (int j = 0; j < ps.size(); j++) {
                    Tensor d = ps.get(j).data();
                    if (t[j + 1] != d) {
                        d.copyFrom(t[j + 1]);
                        dirty[j] = true;
                    } else if (dirty[j]) {
                        d.copyFrom(Tensor.of(pristine[j], d.shape()).to(d.device()));
                        dirty[j] = false;
                    }
                }
            }
            return forward.apply(t[0]);
        }, inputs);
        assertTrue(report.passed(), () -> m.getClass().getSimpleName() + " gradcheck: " + report);
    }
}
