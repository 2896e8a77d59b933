package dev.fathom.bench;

import dev.fathom.Fathom;
import dev.fathom.models.Zoo;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.optim.Adam;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One training step (forward, cross-entropy, backward, Adam) of a reference model on one
 * backend, batch {@code batch}, on a fixed synthetic batch already on the device; samples/s is
 * {@code batch / time}. The reference workloads' end-to-end numbers (data loading included) come
 * from {@code fathom train}; this isolates the compute.
 *
 * <p>Warm-up is 8 × 2 s: on the 2-core machine here the JIT kept the MLP step slow for about 12 s
 * (1 s iterations from a cold fork: 85, 4.2, 2.2, 2.4, 1.7, 1.5, ..., 1.8, 1.7, 1.15 ms, then 0.96–1.1
 * ms), and the CNN step for about 10 s (1721, 88, 40, ..., 37, then 34–36 ms). With 3 × 1 s, as
 * the other op benchmarks warm up, the measured MLP iterations fell from 2.3 to 1.3 ms.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 5, time = 2)
public class TrainStepBenchmark extends BackendBenchmark {

    @Param({"mlp", "cnn"})
    public String model;

    @Param({"128"})
    public int batch;

    private Device device;
    private Module net;
    private Optimizer optimizer;
    private Tensor input;
    private Tensor target;

    @Setup(Level.Trial)
    public void setUp() {
        device = Device.parse(backend);
        Fathom.seed(0);
        Zoo zoo = Zoo.byId(model);
        net = zoo.create().to(device).train();
        optimizer = new Adam(net.parameters(), 1e-3);
        int[] example = zoo.exampleShape();
        int[] shape = new int[example.length + 1];
        shape[0] = batch;
        System.arraycopy(example, 0, shape, 1, example.length);
        Generator g = new Generator(42);
        try (Scope s = Scope.open()) {
            input = Scope.escape(Tensor.rand(g, DType.F32, shape).to(device));
            long[] labels = new long[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = (i * 7L) % 10;
            }
            target = Scope.escape(Tensor.of(labels, batch).to(device));
        }
    }

    @Benchmark
    public void step() {
        try (Scope s = Scope.open()) {
            Tensor loss = Functional.crossEntropy(net.forward(input), target);
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            device.synchronize();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        input.close();
        target.close();
        optimizer.close();
        net.close();
    }
}
