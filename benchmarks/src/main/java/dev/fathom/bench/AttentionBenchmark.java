package dev.fathom.bench;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Functional;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * Causal self-attention of a GPT-sized layer ({@code [B, H, L, D]} F32): the fused kernel
 * ({@code scaledDotProductAttention} without mask or dropout) against the unfused composite that
 * defines it ({@code attentionWeights(q, k)·v}), forward alone and forward plus backward. Setup
 * checks that both give the same output, so a fast wrong kernel cannot win.
 *
 * <p>Measured 2026-11-25 on the shared 2-vCPU AMD EPYC build machine (AVX-512, other jobs running,
 * so errors are wide), ms/op, composite → fused: 2 threads: forward 23.1 ± 1.5 → 15.6 ± 5.8,
 * forward + backward 59.5 ± 5.5 → 46.0 ± 17.2; {@code -Dfathom.threads=1}: forward 42.2 ± 11.7 →
 * 16.6 ± 1.7, forward + backward 99.1 ± 19.4 → 59.2 ± 15.7. The fused kernels since (2026-11-27,
 * 2 threads): forward 4.8 → 3.1 ms and forward + backward 13.2 → 8.6 ms when four query rows (and
 * dK and dV four keys) became one product.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class AttentionBenchmark extends BackendBenchmark {

    @Param({"32"})
    public int batch;

    @Param({"4"})
    public int heads;

    @Param({"128"})
    public int length;

    @Param({"32"})
    public int headDim;

    private Device device;
    private Tensor q;
    private Tensor k;
    private Tensor v;
    private Tensor gradOut;

    @Setup(Level.Trial)
    public void setUp() {
        device = Device.parse(backend);
        Generator g = new Generator(7);
        try (Scope s = Scope.open()) {
            q = Scope.escape(Tensor.randn(g, DType.F32, batch, heads, length, headDim).to(device).requiresGrad(true));
            k = Scope.escape(Tensor.randn(g, DType.F32, batch, heads, length, headDim).to(device).requiresGrad(true));
            v = Scope.escape(Tensor.randn(g, DType.F32, batch, heads, length, headDim).to(device).requiresGrad(true));
            gradOut = Scope.escape(Tensor.randn(g, DType.F32, batch, heads, length, headDim).to(device));
            double diff = fused().sub(composite()).abs().max().itemDouble();
            if (!(diff < 1e-4)) {
                throw new IllegalStateException("AttentionBenchmark: fused and composite outputs differ by " + diff);
            }
        }
    }

    private Tensor fused() {
        return Functional.scaledDotProductAttention(q, k, v, null, true, 0, false);
    }

    private Tensor composite() {
        return Functional.attentionWeights(q, k, null, true).matmul(v);
    }

    private void train(Tensor y) {
        Autograd.grad(new Tensor[] {y}, new Tensor[] {gradOut}, new Tensor[] {q, k, v}, false, false);
    }

    @Benchmark
    public void fusedForward() {
        try (Scope s = Scope.open(); var off = Autograd.noGrad()) {
            fused();
            device.synchronize();
        }
    }

    @Benchmark
    public void compositeForward() {
        try (Scope s = Scope.open(); var off = Autograd.noGrad()) {
            composite();
            device.synchronize();
        }
    }

    @Benchmark
    public void fusedForwardBackward() {
        try (Scope s = Scope.open()) {
            train(fused());
            device.synchronize();
        }
    }

    @Benchmark
    public void compositeForwardBackward() {
        try (Scope s = Scope.open()) {
            train(composite());
            device.synchronize();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {q, k, v, gradOut}) {
            t.close();
        }
    }
}
