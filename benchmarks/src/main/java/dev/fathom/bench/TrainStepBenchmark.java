package dev.fathom.bench;

import dev.fathom.Fathom;
import dev.fathom.data.Batch;
import dev.fathom.data.DataLoader;
import dev.fathom.data.LabeledData;
import dev.fathom.models.Zoo;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.optim.Adam;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One training step of a reference model (MLP, CNN: forward, cross-entropy, backward, Adam) on one
 * backend, batch {@code batch}; samples/s is {@code batch / time}. Two ways:
 * <ul>
 *   <li>{@link #loaderStep}: as {@code fathom train} runs it and as the PyTorch peers
 *       ({@code mlp_fmnist.py}, {@code cnn_fmnist.py}) time theirs: the next batch from a shuffled
 *       {@link DataLoader} (prefetching) over a Fashion-MNIST-sized data set in host memory (60,000
 *       synthetic examples, pixels in [0, 1)), its tensors on the device, and the loss read back to
 *       the host. Epochs run back to back, so one step in 469 has the short last batch of 96, as in
 *       the peers' epochs. {@code scripts/bench} sets this one beside the peers.</li>
 *   <li>{@link #step}: the compute alone, on a fixed batch already on the device, as
 *       {@code scripts/lib/gpu_timings.py} times PyTorch's step on a GPU for {@code scripts/gpu-check}.</li>
 * </ul>
 *
 * <p>Warm-up is 8 × 2 s: on the 2-core machine here the JIT kept the MLP step slow for about 12 s
 * (1 s iterations from a cold fork: 85, 4.2, 2.2, 2.4, 1.7, 1.5, ..., 1.8, 1.7, 1.15 ms, then 0.96–1.1
 * ms), and the CNN step for about 10 s. With 3 × 1 s, as the other op benchmarks warm up, the
 * measured MLP iterations fell from 2.3 to 1.3 ms.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 5, time = 2)
public class TrainStepBenchmark extends BackendBenchmark {
    /** Fashion-MNIST's training set size. */
    private static final int EXAMPLES = 60_000;

    @Param({"mlp", "cnn"})
    public String model;

    @Param({"128"})
    public int batch;

    private Device device;
    private Module net;
    private Optimizer optimizer;
    /** {@link #step}'s batch. */
    private Tensor input;
    private Tensor target;
    /** {@link #loaderStep}'s batches. */
    private DataLoader loader;
    private DataLoader.Epoch epoch;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        device = Device.parse(backend);
        Fathom.setDefaultDevice(device);   // the loader's tensors are made there, as fathom train --device does
        Fathom.seed(0);
        Zoo zoo = Zoo.byId(model);
        net = zoo.create().to(device).train();
        optimizer = new Adam(net.parameters(), 1e-3);
        if (params.getBenchmark().endsWith(".loaderStep")) {
            loader = loader(zoo);
            epoch = loader.epoch();
        } else {
            fixedBatch(zoo.exampleShape());
        }
    }

    /** A shuffled, prefetching loader over {@link #EXAMPLES} synthetic examples, as {@code fathom train} builds it. */
    private DataLoader loader(Zoo zoo) {
        int width = Math.toIntExact(Shape.numel(zoo.exampleShape()));
        SplittableRandom random = new SplittableRandom(42);
        float[] pixels = new float[EXAMPLES * width];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextDouble();
        }
        long[] labels = new long[EXAMPLES];
        for (int i = 0; i < EXAMPLES; i++) {
            labels[i] = random.nextInt(10);
        }
        LabeledData data = new LabeledData(pixels, labels, EXAMPLES, width, 10);
        return DataLoader.builder(data.reshape(zoo.exampleShape()), batch).shuffle(true).seed(0).prefetch(true).build();
    }

    private void fixedBatch(int[] example) {
        int[] shape = new int[example.length + 1];
        shape[0] = batch;
        System.arraycopy(example, 0, shape, 1, example.length);
        try (Scope s = Scope.open()) {
            input = Scope.escape(Tensor.rand(new Generator(42), DType.F32, shape).to(device));
            long[] labels = new long[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = (i * 7L) % 10;
            }
            target = Scope.escape(Tensor.of(labels, batch).to(device));
        }
    }

    /** Forward, loss, backward and Adam on the fixed batch, then a wait for the device. */
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

    /** The next batch from the loader, forward, loss read back (as the trainer checks it for NaN), backward, Adam. */
    @Benchmark
    public double loaderStep() {
        if (!epoch.hasNext()) {
            epoch.close();
            epoch = loader.epoch();
        }
        try (Scope s = Scope.open()) {
            Batch b = epoch.next();
            Tensor loss = Functional.crossEntropy(net.forward(b.x()), b.y());
            double value = loss.itemDouble();
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            return value;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (epoch != null) {
            epoch.close();
        } else {
            input.close();
            target.close();
        }
        optimizer.close();
        net.close();
    }
}
