package dev.fathom.bench.run;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Which backends a run measures. By default every backend on the class path that says it can run
 * here ({@link Backend#availability()}), in priority order, leaving out test backends (negative
 * priority); a backend asked for by name must be present and available, or the run stops with
 * the backend's own reason (never a silent CPU run).
 */
public final class BackendChoice {

    private BackendChoice() {
    }

    /** Every backend found with {@link ServiceLoader}, highest priority first. */
    public static List<Backend> found() {
        List<Backend> all = new ArrayList<>();
        ServiceLoader.load(Backend.class, BackendChoice.class.getClassLoader()).forEach(all::add);
        all.sort((a, b) -> a.priority() != b.priority() ? Integer.compare(b.priority(), a.priority()) : a.name().compareTo(b.name()));
        return all;
    }

    /** The backends to measure, in column order (the CPU first). */
    public static List<Backend> choose(List<String> requested, List<Backend> found) throws UsageException {
        List<Backend> out = new ArrayList<>();
        if (requested.isEmpty()) {
            for (Backend b : found) {
                if (b.priority() >= 0 && b.availability().available() && b.deviceCount() > 0) {
                    out.add(b);
                }
            }
            if (out.isEmpty()) {
                throw new UsageException("no backend can run here (found: " + names(found) + "); add dev.fathom:backend-cpu to the class path");
            }
        } else {
            for (String name : requested) {
                Backend b = found.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(() -> new UsageException(
                        "--backends: no backend named \"" + name + "\" (found: " + names(found) + ")"));
                Availability a = b.availability();
                if (!a.available()) {
                    throw new UsageException("--backends: " + name + " cannot run here: " + a.reason());
                }
                if (b.deviceCount() < 1) {
                    throw new UsageException("--backends: " + name + " has no device here");
                }
                out.add(b);
            }
        }
        out.sort((a, b) -> a.name().equals("cpu") ? -1 : b.name().equals("cpu") ? 1 : 0);
        return out;
    }

    private static String names(List<Backend> found) {
        return found.stream().map(Backend::name).collect(Collectors.joining(", "));
    }
}
