package dev.fathom.bench.run;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One entry of the suite: a JMH benchmark class, which of its methods run (and under which
 * {@code bench} name each is reported, with its {@link Work}), the parameters of a full and of a
 * quick run (besides {@code backend}, which every benchmark has), and which parameters the report
 * shows.
 *
 * @param name         what {@code --only} matches and the peers are keyed by (e.g. {@code gemm}, {@code train.gpt})
 * @param methods      JMH method name → what it reports as
 * @param quickMethods the methods a quick run keeps
 * @param full         parameter values of a full run
 * @param quick        parameter values of a quick run
 * @param shown        the parameters the report shows, in order
 */
public record SuiteEntry(String name, Class<?> benchmark, Map<String, Bench> methods, Set<String> quickMethods,
                         Map<String, List<String>> full, Map<String, List<String>> quick, List<String> shown) {

    /** What a JMH method reports as: its {@code bench} name and the work of one operation. */
    public record Bench(String name, Work work) {
    }

    public SuiteEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(benchmark, "benchmark");
        methods = Map.copyOf(methods);
        quickMethods = Set.copyOf(quickMethods);
        full = Map.copyOf(full);
        quick = Map.copyOf(quick);
        shown = List.copyOf(shown);
        if (!methods.keySet().containsAll(quickMethods)) {
            throw new IllegalArgumentException("SuiteEntry " + name + ": quick methods " + quickMethods + " are not all in " + methods.keySet());
        }
    }

    /** The methods of a run, sorted so that JMH's include pattern is stable. */
    public List<String> methodsFor(boolean quickRun) {
        return (quickRun ? quickMethods : methods.keySet()).stream().sorted().toList();
    }

    /** The parameters of a run. */
    public Map<String, List<String>> paramsFor(boolean quickRun) {
        return quickRun ? quick : full;
    }
}
