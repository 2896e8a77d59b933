package dev.fathom.cpu;

import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The heavy kernels of a training step allocate no scratch once warm: what every thread of a JVM
 * (the caller and the pool's workers) allocated over repeated calls, as the JDK's per-thread
 * allocation counters report it, stays under a few KB per call: the task objects of the pool, not
 * arrays the size of the operands. Before the attention kernels and the convolution's weight
 * gradient took their scratch from {@link ThreadScratch}, each call allocated its tasks' transposes
 * and per-chunk sums (tens to hundreds of KB).
 *
 * <p>Each workload runs in a JVM of its own (this class's {@link #main}): in the test JVM, other
 * tests' calls leave the JIT's profiles mixed, and code compiled for them can box vectors, which
 * is a cost of sharing the JVM with the tests, not of the kernels. The child measures windows of
 * calls until one is under budget or 30 s have passed, and reports the least.
 */
class HotPathAllocationTest {
    /** Per call: the pool's tasks and lambdas are small objects; a scratch array would be 16 KB or more. */
    private static final long BUDGET_BYTES = 12 * 1024;
    /** Calls before measuring: enough for C2 to compile the kernels (before that, vectors live on the heap). */
    private static final int WARM_UP = 300;
    private static final int CALLS = 20;
    /** How long the child keeps measuring windows of {@link #CALLS} while every one is over budget. */
    private static final long WINDOWS_NANOS = 30_000_000_000L;

    private static Strided filled(SplittableRandom r, int... shape) {
        Strided s = Strided.contiguous(CpuBuffer.allocate(DType.F32, dev.fathom.tensor.Shape.numel(shape)), shape);
        float[] f = CpuBuffer.of(s.buffer()).f;
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return s;
    }

    /** The workload {@code name}, as the child JVM runs it. */
    private static Runnable workload(String name) {
        SplittableRandom r = new SplittableRandom(7);
        switch (name) {
            case "attention" -> {
                AttentionGeometry g = new AttentionGeometry(4, 4, 128, 128, 32, 32, 1 / Math.sqrt(32), true, DType.F32);
                Strided q = filled(r, g.queryShape()), k = filled(r, g.keyShape()), v = filled(r, g.valueShape());
                Strided o = filled(r, g.outputShape()), lse = filled(r, g.logsumexpShape()), go = filled(r, g.outputShape());
                Strided gq = filled(r, g.queryShape()), gk = filled(r, g.keyShape()), gv = filled(r, g.valueShape());
                return () -> {
                    AttentionKernels.forward(g, q, k, v, o, lse);
                    AttentionKernels.backward(g, q, k, v, o, go, lse, gq, gk, gv);
                };
            }
            case "matmul-conv" -> {
                Strided a = filled(r, 4096, 128), b = filled(r, 128, 512), c = filled(r, 4096, 512);
                Conv2dGeometry g = Conv2dGeometry.of(32, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1);
                Strided x = filled(r, g.inputShape()), w = filled(r, g.weightShape()), y = filled(r, g.outputShape());
                Strided gx = filled(r, g.inputShape()), gw = filled(r, g.weightShape());
                return () -> {
                    MatmulKernel.matmul(a, b, c);
                    ConvKernels.forward(g, x, w, y);
                    ConvKernels.backwardData(g, y, w, gx);
                    ConvKernels.backwardWeight(g, x, y, gw);
                };
            }
            default -> throw new IllegalArgumentException("no workload " + name);
        }
    }

    /** Child JVM: prints the bytes per call of workload {@code args[0]} after warm-up, over all threads. */
    public static void main(String[] args) {
        Runnable work = workload(args[0]);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        if (!threads.isThreadAllocatedMemorySupported() || !threads.isThreadAllocatedMemoryEnabled()) {
            System.out.println("unsupported");
            return;
        }
        for (int i = 0; i < WARM_UP; i++) {
            work.run();
        }
        // The least of several windows: code the JIT has not compiled yet (on a busy machine C2
        // can lag behind the warm-up) still boxes vectors, which later windows no longer see; a
        // kernel that allocates per call does so in every window.
        long[] ids = threads.getAllThreadIds();
        double least = Double.MAX_VALUE;
        long deadline = System.nanoTime() + WINDOWS_NANOS;
        do {
            long before = total(threads.getThreadAllocatedBytes(ids));
            for (int i = 0; i < CALLS; i++) {
                work.run();
            }
            least = Math.min(least, (total(threads.getThreadAllocatedBytes(ids)) - before) / (double) CALLS);
        } while (least >= BUDGET_BYTES && System.nanoTime() < deadline);
        System.out.println("bytes/call " + least);
    }

    private static long total(long[] bytes) {
        long sum = 0;
        for (long b : bytes) {
            sum += Math.max(0, b);
        }
        return sum;
    }

    private static double bytesPerCall(String workload) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // -Xbatch: a method waits for its compilation instead of running on in the interpreter.
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xbatch", "-Dfathom.threads=2", "-cp",
                System.getProperty("java.class.path"), HotPathAllocationTest.class.getName(), workload).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the " + workload + " JVM did not finish:\n" + out);
        assertEquals(0, p.exitValue(), "the " + workload + " JVM failed:\n" + out);
        assumeFalse(out.contains("unsupported"), "this JVM does not count allocation per thread");
        Matcher m = Pattern.compile("bytes/call (\\S+)").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void attentionForwardAndBackwardOfAGptLayer() throws Exception {
        double bytes = bytesPerCall("attention");
        assertTrue(bytes < BUDGET_BYTES, "attention forward and backward allocated " + bytes + " bytes per call");
    }

    @Test
    void matmulAndConvolutionOfTheReferenceModels() throws Exception {
        double bytes = bytesPerCall("matmul-conv");
        assertTrue(bytes < BUDGET_BYTES, "matmul and the three convolution passes allocated " + bytes + " bytes per call");
    }
}
