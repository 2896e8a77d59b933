package dev.fathom.cpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backend's float kernels use one vector species, the preferred one (one measured exception,
 * {@link #ALLOWED}). The JDK's vector methods ({@code FloatVector.intoArray} and the like) keep
 * one type profile across species, so a second species anywhere in a JVM makes C2 compile every
 * hot loop with a type switch that boxes its
 * vectors: 8-lane transposes on AVX-512 made an LSTM step allocate 75 MB, 4-lane copies a CNN step
 * 120 MB. Checked on the sources, since the cost shows only as allocation and noise-sized time.
 */
class OneSpeciesTest {
    private static final Pattern FIXED = Pattern.compile("FloatVector\\.SPECIES_(?!PREFERRED)\\w+|VectorSpecies\\.of\\(float\\.class");
    /**
     * The one exception, measured: Erf32 widens floats to the preferred doubles through floats of
     * half the width. Masked preferred loads instead made GELU's forward and backward over
     * 4096 × 512 slower (6.7 → 8.5 ms), and two-part conversions were no faster.
     */
    private static final List<String> ALLOWED = List.of("Erf32.java: VectorSpecies.of(float.class");

    @Test
    void floatKernelsUseOnlyThePreferredSpecies() throws IOException {
        Path dir = Path.of("src/main/java/dev/fathom/cpu");
        assertTrue(Files.isDirectory(dir), "run from the backend-cpu module: " + dir.toAbsolutePath());
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                Matcher m = FIXED.matcher(Files.readString(f));
                while (m.find()) {
                    found.add(f.getFileName() + ": " + m.group());
                }
            }
        }
        found.removeAll(ALLOWED);
        assertEquals(List.of(), found, "float vectors of a fixed width beside the preferred ones (use VectorF32.S, masked if narrower)");
    }
}
