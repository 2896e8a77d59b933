package dev.fathom.conformance;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The backends under test: every {@link Backend} that {@link java.util.ServiceLoader} finds,
 * narrowed by the system property {@code fathom.test.backends} (a comma list of names; empty or
 * absent means all). A name asked for but not on the class path, or a backend that is not
 * available here, still yields a case: its tests are skipped with the reason, so a missing GPU
 * shows as SKIPPED, never as passed.
 */
public final class TestBackends {
    /** The system property that narrows the backends under test. */
    public static final String PROPERTY = "fathom.test.backends";

    private TestBackends() {
    }

    /** One backend under test: its name, whether it runs here and why, and its first device. */
    public record Case(String name, Availability availability) {
        /** Skips the calling test (with the reason) unless this backend can run here; returns its device 0. */
        public Device device() {
            Assumptions.assumeTrue(availability.available(), () -> name + ": " + availability.reason());
            return new Device(name, 0);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The cases, for {@code @MethodSource}. */
    public static Stream<Case> backends() {
        return cases().stream();
    }

    /** Every backend case paired with every value, for tests parameterized over an op as well: {@code (case, value)}. */
    public static Stream<Arguments> times(Object... values) {
        return cases().stream().flatMap(c -> Arrays.stream(values).map(v -> Arguments.of(c, v)));
    }

    static List<Case> cases() {
        Set<String> wanted = new LinkedHashSet<>();
        String spec = System.getProperty(PROPERTY, "");
        Arrays.stream(spec.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(wanted::add);
        List<Case> out = new ArrayList<>();
        for (Backend b : Backends.all()) {
            if (wanted.isEmpty() || wanted.remove(b.name())) {
                Availability a = b.availability();
                if (a.available() && b.deviceCount() < 1) {
                    a = Availability.no(b.name() + " reports available but has no devices");
                }
                out.add(new Case(b.name(), a));
            }
        }
        for (String missing : wanted) {
            out.add(new Case(missing, Availability.no("no backend named \"" + missing + "\" on the class path (found: "
                    + Backends.names() + ")")));
        }
        if (out.isEmpty()) {
            out.add(new Case("none", Availability.no("no dev.fathom.spi.Backend on the class path")));
        }
        return out;
    }
}
