package dev.fathom.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code -Dfathom.cuda.profile=FILE}: the GPU time of every own kernel launch and every cuBLAS and
 * cuDNN call, measured with a pair of CUDA events around it and summed per kernel, written to FILE
 * as a table (calls, total, mean, share of the timed total), with the span from the first timed
 * call to the last and the share of it the GPU spent in them: a span much longer than the kernels
 * means the GPU waited for the host. What {@code torch.profiler} answers for PyTorch, without
 * Nsight on the machine.
 *
 * <p>A {@link CudaDriver} around the real one ({@link #wrap}), so the launch paths know nothing of
 * it and pay nothing when it is off. Timings are read at each stream or context synchronize (every
 * training step reads its loss back), and after {@value #MAX_PENDING} pending calls; FILE is
 * rewritten then, at most once a second, when a device closes, and at exit, with what the GPU had
 * finished by the last synchronize. The events cost the host a few microseconds a call and stand
 * between kernels, so programmatic dependent launch no longer overlaps them: the kernels' times
 * are right, a step's wall time is not the unprofiled one. A failed event call drops that call's
 * timing (counted as untimed) and never changes what the call itself returns. Copies between host
 * and device are not timed.
 */
final class KernelProfiler implements InvocationHandler {
    /** The property naming the file; unset, nothing is wrapped. */
    static final String PROPERTY = "fathom.cuda.profile";
    /** Pending timed calls that force a wait for the GPU and a read of their times. */
    static final int MAX_PENDING = 4096;
    private static final long WRITE_INTERVAL_NANOS = 1_000_000_000L;

    private record Pending(String kernel, long stream, long start, long end) {
    }

    private final CudaDriver driver;
    private final Path file;
    private final Map<Long, String> functions = new HashMap<>();
    /** The stream each cuBLAS or cuDNN handle was created on. */
    private final Map<Long, Long> handleStreams = new HashMap<>();
    private final ArrayDeque<Long> freeEvents = new ArrayDeque<>();
    private final List<Pending> pending = new ArrayList<>();
    /** Per kernel: calls and GPU milliseconds, in first-call order. */
    private final Map<String, double[]> totals = new LinkedHashMap<>();
    /** Per stream: the event before its first timed call, and the span from there to its last one read. */
    private final Map<Long, Long> origins = new HashMap<>();
    private final Map<Long, Double> spans = new HashMap<>();
    private long untimed;
    private long lastWrite;
    private boolean writeFailed;

    private KernelProfiler(CudaDriver driver, Path file) {
        this.driver = driver;
        this.file = file;
    }

    /** {@code driver}, profiled into {@code file} when it is not null, else as it is. */
    static CudaDriver wrap(CudaDriver driver, Path file) {
        if (file == null) {
            return driver;
        }
        KernelProfiler profiler = new KernelProfiler(driver, file);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (Files.isDirectory(file.toAbsolutePath().getParent())) {  // a test's temporary directory may be gone by then
                profiler.writeQuietly();
            }
        }, "fathom-cuda-profile"));
        return (CudaDriver) Proxy.newProxyInstance(CudaDriver.class.getClassLoader(), new Class<?>[] {CudaDriver.class}, profiler);
    }

    /**
     * The file {@code -Dfathom.cuda.profile} names, or null when it is unset or unusable (the plan
     * then refuses CUDA with {@link #file}'s reason, so nothing runs unprofiled by mistake).
     */
    static Path requested() {
        try {
            return file(System.getProperty(PROPERTY));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The profile file that {@code value} names, null for null.
     *
     * @throws IllegalArgumentException when it is blank, not a path, or not in an existing directory
     */
    static Path file(String value) {
        if (value == null) {
            return null;
        }
        String how = "; name a file in an existing directory, e.g. -D" + PROPERTY + "=/tmp/kernels.txt";
        if (value.isBlank()) {
            throw new IllegalArgumentException("-D" + PROPERTY + " is blank" + how);
        }
        Path file;
        try {
            file = Path.of(value.trim()).toAbsolutePath();
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a path (" + e.getReason() + ")" + how);
        }
        if (file.getParent() == null || !Files.isDirectory(file.getParent()) || Files.isDirectory(file)) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": " + (Files.isDirectory(file) ? "is a directory"
                    : "its directory " + file.getParent() + " does not exist") + how);
        }
        return file;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        return switch (method.getName()) {
            case "launchKernel", "launchKernelProgrammatic" -> timed(functionName((long) args[0]), (long) args[8], method, args);
            case "blasGemmStridedBatched" -> timed((boolean) args[1] ? "cublasDgemmStridedBatched" : "cublasSgemmStridedBatched",
                    handleStream((long) args[0]), method, args);
            case "cudnnConvolution" -> timed(((CudaDriver.ConvPass) args[1]).call(), handleStream((long) args[0]), method, args);
            case "cudnnBatchNormForwardTraining" -> timed("cudnnBatchNormalizationForwardTraining", handleStream((long) args[0]), method,
                    args);
            case "cudnnBatchNormBackward" -> timed("cudnnBatchNormalizationBackward", handleStream((long) args[0]), method, args);
            case "moduleGetFunction" -> {
                Object status = call(method, args);
                if ((int) status == 0) {
                    synchronized (this) {
                        functions.put(((long[]) args[0])[0], (String) args[2]);
                    }
                }
                yield status;
            }
            case "blasCreate", "cudnnCreate" -> {
                Object status = call(method, args);
                if ((int) status == 0) {
                    synchronized (this) {
                        handleStreams.put(((long[]) args[0])[0], (long) args[1]);
                    }
                }
                yield status;
            }
            case "streamSynchronize" -> {
                Object status = call(method, args);
                if ((int) status == 0) {
                    collect((long) args[0]);
                }
                yield status;
            }
            case "streamDestroy" -> {
                // A device closing: its stream has drained (CudaKernels.close synchronizes first).
                collect((long) args[0]);
                writeQuietly();
                yield call(method, args);
            }
            case "ctxSynchronize" -> {
                Object status = call(method, args);
                if ((int) status == 0) {
                    collect(null);
                }
                yield status;
            }
            default -> call(method, args);
        };
    }

    private Object call(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(driver, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private synchronized String functionName(long function) {
        return functions.getOrDefault(function, "function 0x" + Long.toHexString(function));
    }

    private synchronized long handleStream(long handle) {
        return handleStreams.getOrDefault(handle, 0L);
    }

    /** The call between two events recorded on {@code stream}; its result unchanged. */
    private Object timed(String kernel, long stream, Method method, Object[] args) throws Throwable {
        long start;
        synchronized (this) {
            if (!origins.containsKey(stream)) {
                long origin = recorded(stream);
                if (origin != 0) {
                    origins.put(stream, origin);
                }
            }
            start = recorded(stream);
        }
        Object status = call(method, args);
        synchronized (this) {
            long end = start == 0 ? 0 : recorded(stream);
            if (end == 0) {
                release(start);
                untimed++;
            } else {
                pending.add(new Pending(kernel, stream, start, end));
                if (pending.size() >= MAX_PENDING) {
                    if (driver.eventSynchronize(end) == 0) {
                        collect(null);
                    } else {
                        dropPending();  // the GPU failed: the next check reports it; the times are lost
                    }
                }
            }
        }
        return status;
    }

    /** An event recorded on {@code stream}, or 0 when the driver refused one. */
    private long recorded(long stream) {
        long event;
        if (freeEvents.isEmpty()) {
            long[] out = new long[1];
            if (driver.eventCreate(out) != 0) {
                return 0;
            }
            event = out[0];
        } else {
            event = freeEvents.pop();
        }
        if (driver.eventRecord(event, stream) != 0) {
            release(event);
            return 0;
        }
        return event;
    }

    private void release(long event) {
        if (event != 0) {
            freeEvents.push(event);
        }
    }

    private void dropPending() {
        for (Pending p : pending) {
            release(p.start());
            release(p.end());
        }
        untimed += pending.size();
        pending.clear();
    }

    /** Reads the times of the pending calls on {@code stream} (all streams when null), which a synchronize has finished. */
    private synchronized void collect(Long stream) {
        float[] ms = new float[1];
        Map<Long, Long> lastEnds = new HashMap<>();  // per stream, the end of its last call read (events finish in stream order)
        for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (stream != null && p.stream() != stream) {
                continue;
            }
            if (driver.eventElapsedTime(ms, p.start(), p.end()) == 0) {
                double[] t = totals.computeIfAbsent(p.kernel(), k -> new double[2]);
                t[0]++;
                t[1] += ms[0];
                lastEnds.put(p.stream(), p.end());
            } else {
                untimed++;
            }
            release(p.start());
            release(p.end());  // free for the next call, but not recorded again before this method returns
            it.remove();
        }
        lastEnds.forEach((s, end) -> {
            Long origin = origins.get(s);
            if (origin != null && driver.eventElapsedTime(ms, origin, end) == 0) {
                spans.merge(s, (double) ms[0], Math::max);
            }
        });
        long now = System.nanoTime();
        if (now - lastWrite >= WRITE_INTERVAL_NANOS) {
            lastWrite = now;
            writeQuietly();
        }
    }

    /** The table as FILE gets it. */
    synchronized String report() {
        double calls = totals.values().stream().mapToDouble(t -> t[0]).sum();
        double timed = totals.values().stream().mapToDouble(t -> t[1]).sum();
        double span = spans.values().stream().mapToDouble(Double::doubleValue).sum();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "fathom cuda profile (-D%s): %.0f calls timed on the GPU, %.3f ms in all", PROPERTY, calls,
                timed));
        if (span > 0) {
            s.append(String.format(Locale.ROOT, ", %.0f%% of the %.3f ms from the first call's start to the last one's end",
                    100 * timed / span, span));
        }
        s.append(untimed > 0 ? "; " + untimed + " calls untimed (an event call failed)" : "").append('\n');
        s.append(String.format(Locale.ROOT, "%-40s %9s %12s %10s %7s%n", "kernel", "calls", "total ms", "mean us", "share"));
        totals.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[1], a.getValue()[1])).forEach(e -> {
            double[] t = e.getValue();
            s.append(String.format(Locale.ROOT, "%-40s %9.0f %12.3f %10.2f %6.1f%%%n", e.getKey(), t[0], t[1], 1000 * t[1] / t[0],
                    timed == 0 ? 0 : 100 * t[1] / timed));
        });
        return s.toString();
    }

    /** Replaces FILE with {@link #report()} (through a temporary next to it, so a reader never sees half a table). */
    void write() {
        byte[] text = report().getBytes(StandardCharsets.UTF_8);
        try {
            Path dir = file.toAbsolutePath().getParent();
            Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try {
                Files.write(temp, text);
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cuda: -D" + PROPERTY + "=" + file + ": cannot write the profile: " + e.getMessage(), e);
        }
    }

    /** {@link #write}, saying on stderr once (not once a second) when it cannot. */
    private void writeQuietly() {
        try {
            write();
        } catch (UncheckedIOException e) {
            if (!writeFailed) {
                writeFailed = true;
                System.err.println(e.getMessage());
            }
        }
    }
}
