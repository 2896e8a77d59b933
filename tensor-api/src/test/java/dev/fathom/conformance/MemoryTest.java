package dev.fathom.conformance;

import dev.fathom.autograd.Autograd;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lifetimes: a training loop with a scope per step leaves the backend's live-buffer count where
 * it started; {@link Scope#keep} and {@link Scope#escape} hand tensors out; a storage lives until
 * its last view is closed.
 */
class MemoryTest extends ConformanceTest {

    private static long live(Kernels k) {
        return k.memoryStats().liveBuffers();
    }

    @BackendTest
    void tenThousandTrainingStepsLeakNothing(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        Tensor w = Tensor.rand(4, 3).requiresGrad(true);
        long start = settledLiveBuffers(device);
        float first = Float.NaN, last = Float.NaN;
        for (int step = 0; step < 10_000; step++) {
            try (Scope s = Scope.open()) {
                Tensor x = Tensor.of(new float[] {1, -1, 0.5f, 2, 0, 1, -0.5f, 1}, 2, 4);
                Tensor y = x.matmul(w).tanh().sum();
                y.backward();
                try (var g = Autograd.noGrad()) {
                    w.addInPlace(w.grad(), -0.01);
                }
                // Both ways of resetting a gradient: zero it (the buffer is reused by the next backward) or clear it.
                if (step % 2 == 0) {
                    w.grad().zeroInPlace();
                } else {
                    w.setGrad(null);
                }
                if (step == 0) {
                    first = y.item();
                }
                last = y.item();
            }
        }
        assertEquals(start, live(k), "live buffers after 10,000 steps, each in its own scope");
        assertTrue(last < first, "the loop did train: loss went from " + first + " to " + last);
    }

    @BackendTest
    void backwardThroughAnIntermediateItsScopeClosedSaysSo(TestBackends.Case backend) {
        Device device = use(backend);
        Tensor x = Tensor.ones(3).requiresGrad(true);
        Tensor loss;
        try (Scope s = Scope.open()) {
            loss = s.keep(x.mul(2).sum());   // x.mul(2) closes with the scope, and with it its part of the graph
        }
        long start = settledLiveBuffers(device);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertEquals("backward: input 0 of 'sum', a tensor of shape [3], was closed before backward() reached it (typically by the Scope "
                + "that made it); call backward() inside that scope, or keep the tensors open until backward() returns", e.getMessage());
        assertEquals(null, x.grad(), "the leaf got no gradient");
        assertEquals(start, live(Backends.kernels(device)), "the failed pass freed what it made");
        try (Scope s = Scope.open()) {
            x.mul(2).sum().backward();
        }
        assertArrayEquals(new float[] {2, 2, 2}, x.grad().toFloatArray(), "inside the scope it works");
    }

    @BackendTest
    void aBackwardPassThatFailsFreesWhatItsNodesLetGo(TestBackends.Case backend) {
        Device device = use(backend);
        Tensor x = Tensor.of(new float[] {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f}, 2, 3).requiresGrad(true);
        Tensor labels = Tensor.of(new long[] {0, 2}, 2);
        long start = settledLiveBuffers(device);
        try (Scope s = Scope.open()) {
            Tensor y = x.exp();
            // Cross-entropy and log-softmax keep temporaries in their nodes; the pass reaches them before it fails at y.
            Tensor loss = dev.fathom.nn.Functional.crossEntropy(y.mul(y).logSoftmax(-1), labels);
            try (var g = Autograd.noGrad()) {
                y.mulInPlace(2);
            }
            Check.fails(IllegalStateException.class, loss::backward, "modified");
        }
        assertEquals(start, live(Backends.kernels(device)), "live buffers after the failed pass and its scope");
    }

    @BackendTest
    void deviceMemoryStatsCountATensorFromCreationToClose(TestBackends.Case backend) {
        Device device = use(backend);
        long start = settledLiveBuffers(device);
        var before = device.memoryStats();
        assertEquals(start, before.liveBuffers(), "Device.memoryStats reads the backend's counters");
        Tensor t = Tensor.zeros(DType.F64, 1000, 3);
        var during = device.memoryStats();
        assertEquals(start + 1, during.liveBuffers(), "a new tensor is one live buffer");
        assertTrue(during.liveBytes() >= before.liveBytes() + 1000 * 3 * 8, "its 24,000 bytes are live: " + before + " -> " + during);
        assertTrue(during.peakBytes() >= during.liveBytes(), "the peak is at least what is live now: " + during);
        assertEquals(before.allocations() + 1, during.allocations(), "one allocation since: " + before + " -> " + during);
        t.close();
        var after = device.memoryStats();
        assertEquals(start, after.liveBuffers(), "closed, it is no longer live");
        assertEquals(before.liveBytes(), after.liveBytes(), "nor are its bytes");
        assertEquals(during.peakBytes(), after.peakBytes(), "the peak stays");
    }

    @BackendTest
    void gradientPassesAndHostReadsReleaseTheirTemporaries(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        Tensor w = Tensor.rand(3, 3).requiresGrad(true);
        Tensor x = Tensor.rand(5, 3);
        long start = settledLiveBuffers(device);
        try (Scope s = Scope.open()) {
            Tensor loss = x.matmul(w).softmax(1).log().mean();
            Tensor[] g = Autograd.grad(new Tensor[] {loss}, new Tensor[] {w}, true);
            Autograd.grad(new Tensor[] {g[0].pow(2).sum()}, new Tensor[] {w}, false);
            x.t().toDoubleArray();
        }
        assertEquals(start, live(k), "a double-backward pass and a strided host read inside a scope leave nothing behind");
        Tensor kept;
        long before = live(k);
        try (Scope s = Scope.open()) {
            Tensor loss = x.matmul(w).sum();
            loss.backward();
            kept = s.keep(loss.detach());
        }
        assertEquals(before + 2, live(k), "the kept loss's storage and w's new .grad survive the scope");
        kept.close();
        w.setGrad(null);
        assertEquals(before, live(k));
    }

    @BackendTest
    void keepHandsATensorToTheOuterScope(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        long start = settledLiveBuffers(device);
        Tensor survivor;
        Tensor dropped;
        try (Scope outer = Scope.open()) {
            try (Scope inner = Scope.open()) {
                dropped = Tensor.ones(3);
                survivor = inner.keep(Tensor.ones(3).mul(2));
            }
            assertTrue(dropped.isClosed(), "the inner scope closed what it did not keep");
            assertFalse(survivor.isClosed(), "the kept tensor survives the inner scope");
            assertArrayEquals(new float[] {2, 2, 2}, survivor.toFloatArray());
            assertEquals(start + 1, live(k));
        }
        assertTrue(survivor.isClosed(), "and is closed with the outer scope it was handed to");
        assertEquals(start, live(k));
        assertThrows(IllegalArgumentException.class, () -> {
            try (Scope a = Scope.open()) {
                Tensor t = Tensor.ones(1);
                try (Scope b = Scope.open()) {
                    b.keep(t);
                }
            }
        }, "keep refuses a tensor of another scope");
        Tensor free;
        try (Scope s = Scope.open()) {
            free = Scope.escape(Tensor.zeros(DType.F64, 2));
        }
        assertFalse(free.isClosed(), "an escaped tensor belongs to the caller");
        free.close();
        assertEquals(start, live(k));
    }

    @BackendTest
    void closingAViewKeepsTheStorageForTheOthers(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        long start = settledLiveBuffers(device);
        Tensor base = Scope.escape(Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Tensor view = Scope.escape(base.t());
        Tensor row = Scope.escape(base.narrow(0, 1, 1));
        assertEquals(start + 1, live(k), "views allocate nothing");
        base.close();
        assertThrows(IllegalStateException.class, base::toDoubleArray);
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, view.toDoubleArray(), "the transpose still reads the storage");
        view.close();
        assertEquals(start + 1, live(k), "one view remains, so the storage does too");
        try (Scope s = Scope.open()) {
            row.addInPlace(Tensor.ones(DType.F64, 1, 3));
        }
        assertArrayEquals(new double[] {5, 6, 7}, row.toDoubleArray());
        row.close();
        assertEquals(start, live(k), "the storage goes back with its last view");
        row.close();
        assertEquals(start, live(k), "close is idempotent");
    }

    /**
     * Outside any scope, closing an op's result must return its memory: the op's own temporaries
     * (a reduction's kept-dims tensor, a scalar operand, the copy behind a reshape) must not keep
     * storage alive until the garbage collector runs the Cleaner. Runs on a fresh thread, which has
     * no scope.
     */
    @BackendTest
    void closingAResultOutsideAnyScopeReturnsItsMemory(TestBackends.Case backend) throws InterruptedException {
        Device device = use(backend);
        java.util.Map<String, java.util.function.Function<Tensor, Tensor>> ops = new java.util.LinkedHashMap<>();
        ops.put("exp()", Tensor::exp);
        ops.put("sum(0)", a -> a.sum(0));
        ops.put("max(1)", a -> a.max(1));
        ops.put("add(2.0)", a -> a.add(2.0));
        ops.put("t().reshape(6)", a -> a.t().reshape(6));
        ops.put("softmax(1)", a -> a.softmax(1));
        // x outlives the measurements: what is counted is the op's own allocations (x.t(), a view the caller never sees,
        // shares x's storage and so holds nothing of its own).
        Tensor[] x = new Tensor[1];
        java.util.Map<String, Runnable> cases = new java.util.LinkedHashMap<>();
        cases.put("(making x)", () -> x[0] = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3));
        ops.forEach((name, op) -> cases.put(name, () -> op.apply(x[0]).close()));
        java.util.List<String> leaks = leaksOutsideAnyScope(device, cases);
        x[0].close();
        assertEquals(java.util.List.of("(making x) leaves 1 buffer(s)"), leaks,
                "closing the result of an op made outside any scope should free everything it allocated");
    }

    @BackendTest
    void modulesAndParametersFreeWhatTheyReplace(TestBackends.Case backend) throws InterruptedException {
        Device device = use(backend);
        java.util.Map<String, Runnable> cases = new java.util.LinkedHashMap<>();
        cases.put("Linear to F64 and back, then close", () -> {
            dev.fathom.nn.Linear l = new dev.fathom.nn.Linear(4, 3);
            l.to(DType.F64);
            l.to(DType.F32);
            l.close();
        });
        cases.put("a Parameter of a tensor that requires grad, closed", () -> new dev.fathom.nn.Parameter(Tensor.ones(2).requiresGrad(true), true).close());
        cases.put("a Parameter of a computed tensor, closed", () -> {
            try (Tensor x = Tensor.ones(2).requiresGrad(true)) {
                new dev.fathom.nn.Parameter(x.mul(3), true).close();
            }
        });
        java.util.List<String> leaks = leaksOutsideAnyScope(device, cases);
        assertTrue(leaks.isEmpty(), "outside any scope: " + leaks);
    }

    @BackendTest
    void tensorsClosedOnAnotherThreadLeaveTheirScopeIntact(TestBackends.Case backend) throws Exception {
        Device device = use(backend);
        long start = settledLiveBuffers(device);
        for (int round = 0; round < 5; round++) {
            java.util.concurrent.BlockingQueue<Tensor> handOff = new java.util.concurrent.ArrayBlockingQueue<>(64);
            Tensor stop = Tensor.zeros(1);
            Thread closer = new Thread(() -> {
                try {
                    for (Tensor t = handOff.take(); t != stop; t = handOff.take()) {
                        t.close();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            closer.start();
            try (Scope s = Scope.open()) {
                for (int i = 0; i < 2000; i++) {
                    handOff.put(Tensor.ones(3));   // made in s, closed by the other thread ...
                    Tensor.zeros(2);               // ... while this one goes on adding to s
                }
                handOff.put(stop);
                closer.join();
            }
            stop.close();
        }
        assertEquals(start, live(Backends.kernels(device)), "every tensor was closed once: by the other thread or by its scope");
    }

    /**
     * Runs each case on a fresh thread, which has no scope, and names those after which the
     * backend holds more live buffers than before: what a scope would have hidden until it closed.
     */
    private static java.util.List<String> leaksOutsideAnyScope(Device device, java.util.Map<String, Runnable> cases) throws InterruptedException {
        Kernels k = Backends.kernels(device);
        java.util.List<String> leaks = new java.util.ArrayList<>();
        Throwable[] failure = new Throwable[1];
        Thread worker = new Thread(() -> cases.forEach((name, body) -> {
            long before = settledLiveBuffers(device);
            body.run();
            long after = live(k);
            if (after > before) {
                leaks.add(name + " leaves " + (after - before) + " buffer(s)");
            }
        }));
        worker.setUncaughtExceptionHandler((t, e) -> failure[0] = e);
        worker.start();
        worker.join();
        if (failure[0] != null) {
            throw new AssertionError("the scope-less worker failed", failure[0]);
        }
        return leaks;
    }
}
