package dev.fathom.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Numeric state (optimizer and schedule counters, learning rates) as checkpoint strings and back,
 * exactly: integers stay integers, doubles use the shortest round-trip form.
 */
final class NumberStrings {
    private NumberStrings() {
    }

    static Map<String, String> format(Map<String, Number> numbers) {
        Map<String, String> out = new LinkedHashMap<>();
        numbers.forEach((k, v) -> out.put(k, v instanceof Double || v instanceof Float ? Double.toString(v.doubleValue())
                : Long.toString(v.longValue())));
        return out;
    }

    /**
     * Parses every entry except {@code skip} (may be null): integer strings as Long, others as Double.
     *
     * @throws IllegalArgumentException naming the key and the value when one is not a number (a
     *                                  corrupt checkpoint; {@code Checkpoint.load} adds the file and section)
     */
    static Map<String, Number> parse(Map<String, String> strings, String skip) {
        Map<String, Number> out = new LinkedHashMap<>();
        strings.forEach((k, v) -> {
            if (!k.equals(skip)) {
                try {
                    out.put(k, v.matches("-?\\d+") ? (Number) Long.parseLong(v) : (Number) Double.parseDouble(v));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("corrupt checkpoint: scalar '" + k + "' is \"" + v + "\", not a number", e);
                }
            }
        });
        return out;
    }
}
