package dev.fathom.cuda;

import dev.fathom.Fathom;
import dev.fathom.nn.Functional;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The heads of a projection go through fused attention where they lie, on the emulated driver: a
 * transformer's q, k and v ({@code [N, L, H·D]} viewed as {@code [N, H, L, D]}) in, the output
 * merged back to {@code [N, L, H·D]}, and the gradients back to the projections, with no copy
 * kernel. Each layout copy was a launch (a GPT step made 28 of them) and a pass over the tensor.
 */
class AttentionLayoutLaunchTest {

    @Test
    void projectedHeadsAreAttendedWithoutCopies() {
        assumeTrue(new EmulatedCudaBackend().availability().available(), () -> new EmulatedCudaBackend().availability().reason());
        Device d = new Device(EmulatedCudaBackend.NAME, 0);
        int n = 2, l = 9, h = 2, dh = 4;
        Fathom.setDefaultDevice(d);
        try (Scope s = Scope.open()) {
            Generator g = new Generator(5);
            Tensor[] proj = new Tensor[3];
            for (int i = 0; i < 3; i++) {
                proj[i] = Tensor.randn(g, DType.F32, n, l, h * dh).requiresGrad(true);
            }
            Tensor grad = Tensor.randn(g, DType.F32, n, l, h * dh);
            Map<String, long[]> before = EmulatedCudaBackend.driver().profile();
            Tensor y = Functional.scaledDotProductAttention(heads(proj[0], h), heads(proj[1], h), heads(proj[2], h), null, true, 0, true);
            Tensor merged = y.transpose(1, 2).reshape(n, l, h * dh);
            merged.backward(grad);
            Map<String, Long> ran = since(before);
            assertEquals(1L, ran.getOrDefault("attention_forward_f32", 0L), "launches: " + ran);
            assertEquals(1L, ran.getOrDefault("attention_backward_dq_f32", 0L), "launches: " + ran);
            assertTrue(ran.keySet().stream().noneMatch(k -> k.startsWith("copy_")), "no layout copy: " + ran);
            for (Tensor p : proj) {
                assertEquals(n * l * h * dh, p.grad().numel());
                assertTrue(p.grad().isContiguous(), "the projections' gradients are views of the kernel's, in their layout");
            }
        } finally {
            Fathom.setDefaultDevice(null);
        }
    }

    /** [N, L, H·D] as [N, H, L, D]: a view. */
    private static Tensor heads(Tensor x, int h) {
        return x.reshape(x.size(0), x.size(1), h, x.size(2) / h).transpose(1, 2);
    }

    /** Launches per kernel since {@code before}, the kernels that ran only. */
    private static Map<String, Long> since(Map<String, long[]> before) {
        Map<String, Long> ran = new LinkedHashMap<>();
        EmulatedCudaBackend.driver().profile().forEach((k, v) -> {
            long n = v[0] - (before.containsKey(k) ? before.get(k)[0] : 0);
            if (n > 0) {
                ran.put(k, n);
            }
        });
        return ran;
    }
}
