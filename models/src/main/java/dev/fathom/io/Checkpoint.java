package dev.fathom.io;

import dev.fathom.Fathom;
import dev.fathom.nn.Module;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A training checkpoint: everything a run needs to continue as if it had never stopped, in one
 * safetensors file that other tools can read. It is a list of named <em>sections</em>, each a
 * {@link Stateful} (the model, the optimizer, the LR schedule, the global and the shuffle
 * {@link Generator}s, ...), plus top-level scalars such as the epoch and step counters.
 *
 * <pre>{@code
 * Checkpoint ckpt = new Checkpoint()
 *         .section("model", model)                      // Module.stateDict()
 *         .section("optimizer", new OptimizerSection(opt)) // any Stateful (dev.fathom.train.OptimizerSection)
 *         .section("rng", Generator.global())           // seed and counter
 *         .put("epoch", epoch).put("step", step);
 * ckpt.save(dir.resolve("last.safetensors"));            // atomic: the old file survives a failure
 *
 * // later, in a new process, with freshly built objects registered the same way:
 * ckpt.load(path);                                       // restores every section in place
 * long epoch = ckpt.getLong("epoch");
 * }</pre>
 *
 * <p>File layout: tensor {@code T} of section {@code S} is stored as {@code "S.T"} (so the model's
 * weights are {@code "model.0.weight"}, readable by any safetensors tool); scalar {@code K} of
 * section {@code S} is the metadata entry {@code "S.K"}, a top-level scalar is the entry {@code K};
 * {@code fathom.format} and {@code fathom.sections} identify the file. Section names and top-level
 * keys therefore contain no dots.
 *
 * <p>Errors: a file that cannot be read, is corrupt, or is not a Fathom checkpoint gives an
 * {@link IOException} naming the file; a checkpoint that does not fit the registered sections (a
 * section missing, a shape or a name that differs) gives an {@link IllegalArgumentException} naming
 * the file, the section and the problem. Missing sections are found before anything is restored;
 * within a section, the section's own {@link Stateful#load} checks (a module checks every name,
 * shape and dtype before copying anything). Not thread-safe.
 */
public final class Checkpoint {
    /** The metadata key that marks a Fathom checkpoint, and its current value. */
    public static final String FORMAT_KEY = "fathom.format";
    public static final String FORMAT = "fathom-checkpoint/1";
    /** The metadata key listing the section names, comma-separated, in registration order. */
    public static final String SECTIONS_KEY = "fathom.sections";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");

    private final Map<String, Stateful> sections = new LinkedHashMap<>();
    private final Map<String, String> scalars = new LinkedHashMap<>();

    /** Registers a section; returns this. */
    public Checkpoint section(String name, Stateful state) {
        checkName("section", name);
        if (name.equals("fathom")) {
            throw new IllegalArgumentException("Checkpoint.section: the name 'fathom' is reserved for the file's own entries");
        }
        Objects.requireNonNull(state, "Checkpoint.section: state of '" + name + "' is null");
        if (sections.putIfAbsent(name, state) != null) {
            throw new IllegalArgumentException("Checkpoint.section: '" + name + "' is registered twice");
        }
        return this;
    }

    /** Registers a module's state dict as a section; returns this. */
    public Checkpoint section(String name, Module module) {
        return section(name, Stateful.of(module));
    }

    /** Registers a generator's position as a section; returns this. */
    public Checkpoint section(String name, Generator generator) {
        return section(name, Stateful.of(generator));
    }

    /** The registered section names, in order. */
    public List<String> sections() {
        return List.copyOf(sections.keySet());
    }

    /** Sets a top-level scalar (saved with the next {@link #save}); returns this. */
    public Checkpoint put(String key, String value) {
        checkName("put", key);
        scalars.put(key, Objects.requireNonNull(value, "Checkpoint.put: value of '" + key + "' is null"));
        return this;
    }

    /** Sets a top-level integer scalar such as an epoch or step counter; returns this. */
    public Checkpoint put(String key, long value) {
        return put(key, Long.toString(value));
    }

    /** A top-level scalar set with {@link #put} or restored by {@link #load}. */
    public String get(String key) {
        String value = scalars.get(key);
        if (value == null) {
            throw new IllegalArgumentException("Checkpoint.get: no scalar '" + key + "' (have " + scalars.keySet() + ")");
        }
        return value;
    }

    /** A top-level scalar as a long. */
    public long getLong(String key) {
        get(key);
        try {
            return Stateful.longScalar(scalars, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Checkpoint.getLong: " + e.getMessage(), e);
        }
    }

    /**
     * The scalar {@code key} of {@code file}'s metadata {@code scalars} (as {@link #peek} or
     * {@link #scalars} give them) as a long in {@code [min, max]}; {@code absent} when the key is
     * missing (null: missing is an error too).
     *
     * @throws IOException "FILE: corrupt checkpoint: KEY is VALUE, ..." when the value is not such a number
     */
    public static long longScalar(Path file, Map<String, String> scalars, String key, Long absent, long min, long max) throws IOException {
        String value = scalars.get(key);
        if (value == null) {
            if (absent == null) {
                throw new IOException(file + ": corrupt checkpoint: no \"" + key + "\" in its metadata (have " + scalars.keySet() + ")");
            }
            return absent;
        }
        try {
            long v = Long.parseLong(value.strip());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below, with the range
        }
        throw new IOException(file + ": corrupt checkpoint: \"" + key + "\" is \"" + value + "\", not an integer"
                + (min == Long.MIN_VALUE && max == Long.MAX_VALUE ? "" : " in [" + min + ", " + max + "]")
                + "; use another checkpoint (or fix the metadata)");
    }

    /** Every top-level scalar. */
    public Map<String, String> scalars() {
        return Collections.unmodifiableMap(scalars);
    }

    private static void checkName(String op, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Checkpoint." + op + ": invalid name \"" + name
                    + "\"; use letters, digits, '_' and '-' (no dots: they separate a section from its entries)");
        }
    }

    // ---- saving -----------------------------------------------------------------------------------

    /** Writes every section and scalar to {@code file}, replacing it atomically. */
    public void save(Path file) throws IOException {
        // Sections may snapshot (an optimizer's state is copied): those copies die with this scope.
        try (Scope scope = Scope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put(FORMAT_KEY, FORMAT);
            metadata.put(SECTIONS_KEY, String.join(",", sections.keySet()));
            for (Map.Entry<String, Stateful> s : sections.entrySet()) {
                String prefix = s.getKey() + ".";
                s.getValue().tensors().forEach((k, t) -> tensors.put(prefix + k, t));
                s.getValue().scalars().forEach((k, v) -> metadata.put(prefix + k, v));
            }
            metadata.putAll(scalars);
            SafeTensors.save(file, tensors, metadata);
        }
    }

    // ---- loading ----------------------------------------------------------------------------------

    /** Restores every registered section from {@code file}; the file must hold exactly these sections. */
    public void load(Path file) throws IOException {
        load(file, true);
    }

    /**
     * Restores every registered section from {@code file} and replaces the top-level scalars with the
     * file's. Every registered section must be in the file; with {@code strict}, the file may not hold
     * other sections either (without it, they are ignored: e.g. loading only the model to evaluate).
     */
    public void load(Path file, boolean strict) throws IOException {
        try (Scope scope = Scope.open()) {
            SafeTensors.Contents contents = SafeTensors.read(file, Fathom.defaultDevice());
            Map<String, String> metadata = contents.metadata();
            List<String> inFile = sectionsOf(file, metadata);
            Map<String, Map<String, Tensor>> tensorsBySection = new LinkedHashMap<>();
            Map<String, Map<String, String>> scalarsBySection = new LinkedHashMap<>();
            for (String s : inFile) {
                tensorsBySection.put(s, new LinkedHashMap<>());
                scalarsBySection.put(s, new LinkedHashMap<>());
            }
            for (Map.Entry<String, Tensor> t : contents.tensors().entrySet()) {
                tensorsBySection.get(sectionOf(file, "tensor", t.getKey(), inFile)).put(entryOf(t.getKey()), t.getValue());
            }
            Map<String, String> topLevel = new LinkedHashMap<>();
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                String key = m.getKey();
                if (key.equals(FORMAT_KEY) || key.equals(SECTIONS_KEY)) {
                    continue;
                }
                if (key.indexOf('.') < 0) {
                    topLevel.put(key, m.getValue());
                } else {
                    scalarsBySection.get(sectionOf(file, "scalar", key, inFile)).put(entryOf(key), m.getValue());
                }
            }
            checkSections(file, inFile, strict);
            for (Map.Entry<String, Stateful> s : sections.entrySet()) {
                try {
                    s.getValue().load(Collections.unmodifiableMap(tensorsBySection.get(s.getKey())),
                            Collections.unmodifiableMap(scalarsBySection.get(s.getKey())));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("Checkpoint.load(" + file + "): section '" + s.getKey() + "': " + e.getMessage(), e);
                }
            }
            scalars.clear();
            scalars.putAll(topLevel);
        }
    }

    /**
     * The top-level scalars of the checkpoint {@code file}, read from its header alone: what a
     * command needs before it can build the objects to load into (say, which model was trained).
     */
    public static Map<String, String> peek(Path file) throws IOException {
        Map<String, String> metadata = SafeTensors.metadata(file);
        sectionsOf(file, metadata);
        Map<String, String> topLevel = new LinkedHashMap<>();
        metadata.forEach((k, v) -> {
            if (k.indexOf('.') < 0) {
                topLevel.put(k, v);
            }
        });
        return Collections.unmodifiableMap(topLevel);
    }

    private static List<String> sectionsOf(Path file, Map<String, String> metadata) throws IOException {
        String format = metadata.get(FORMAT_KEY);
        if (format == null) {
            throw new IOException(file + " is not a Fathom checkpoint (its metadata has no " + FORMAT_KEY
                    + "); read plain tensors with SafeTensors.load");
        }
        if (!format.equals(FORMAT)) {
            throw new IOException(file + " is a checkpoint of format \"" + format + "\"; this version of Fathom reads " + FORMAT);
        }
        String list = metadata.get(SECTIONS_KEY);
        if (list == null) {
            throw new IOException(file + " is a Fathom checkpoint without " + SECTIONS_KEY + " in its metadata: corrupt file");
        }
        List<String> names = list.isEmpty() ? List.of() : List.of(list.split(",", -1));
        for (String n : names) {
            if (!NAME.matcher(n).matches()) {
                throw new IOException(file + " lists an invalid section name \"" + n + "\" in " + SECTIONS_KEY + ": corrupt file");
            }
        }
        return names;
    }

    private void checkSections(Path file, List<String> inFile, boolean strict) {
        List<String> problems = new ArrayList<>();
        for (String s : sections.keySet()) {
            if (!inFile.contains(s)) {
                problems.add("missing section '" + s + "'");
            }
        }
        if (strict) {
            for (String s : inFile) {
                if (!sections.containsKey(s)) {
                    problems.add("unexpected section '" + s + "' (register it, or load with strict = false to ignore it)");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Checkpoint.load(" + file + "): " + String.join("; ", problems)
                    + "; the file has sections " + inFile + ", this checkpoint registers " + sections.keySet());
        }
    }

    private static String sectionOf(Path file, String kind, String name, List<String> inFile) throws IOException {
        int dot = name.indexOf('.');
        String section = dot < 0 ? "" : name.substring(0, dot);
        if (!inFile.contains(section)) {
            throw new IOException(file + ": " + kind + " '" + name + "' belongs to no section listed in " + SECTIONS_KEY + " "
                    + inFile + ": corrupt file");
        }
        return section;
    }

    private static String entryOf(String name) {
        return name.substring(name.indexOf('.') + 1);
    }
}
