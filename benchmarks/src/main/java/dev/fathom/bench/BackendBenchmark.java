package dev.fathom.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every benchmark here shares, which JMH reads from the superclass: one state per benchmark,
 * average time per operation, 3 × 1 s warm-up and 5 × 1 s measurement (a subclass may say
 * otherwise), one fork with the Vector API and native access, and the backend parameter, which
 * {@code scripts/bench} sets to each available backend. Subclasses give their time unit.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public abstract class BackendBenchmark {

    /** The backend's name, as {@code Device.parse} takes it; an unavailable one fails in setup with its reason. */
    @Param({"cpu"})
    public String backend;
}
