package dev.fathom.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code key=value,key=value} strings: how model configs travel in checkpoint metadata. */
final class ConfigStrings {
    private ConfigStrings() {
    }

    /** The pairs of {@code s}; every key of {@code required} must be there, and no other. */
    static Map<String, String> parse(String op, String s, List<String> required) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : s.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException(op + ": \"" + s + "\" is not key=value,...; expected keys " + required);
            }
            kv.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
        }
        if (!kv.keySet().equals(new java.util.HashSet<>(required))) {
            throw new IllegalArgumentException(op + ": \"" + s + "\" has keys " + kv.keySet() + "; expected exactly " + required);
        }
        return kv;
    }

    static int integer(String op, Map<String, String> kv, String key) {
        try {
            return Integer.parseInt(kv.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(op + ": " + key + " = \"" + kv.get(key) + "\" is not an integer", e);
        }
    }
}
