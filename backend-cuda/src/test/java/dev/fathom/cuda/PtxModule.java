package dev.fathom.cuda;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the emulation needs to know of a PTX module, read from its text as the driver would: the
 * {@code .visible .entry} kernels, each with its parameters (kind and width, which
 * {@link EmulatedDriver} checks every launch against) and whether it synchronizes its threads
 * (a {@code bar}, {@code barrier}, {@code shfl}, {@code vote}, {@code match} or {@code redux}
 * instruction in its body or in any {@code .func} it calls, transitively). A kernel that does not
 * is proven barrier-free and runs with {@code emu_launch_sequential}.
 */
record PtxModule(Map<String, Entry> entries) {

    /** A parameter as the PTX declares it: {@code f} (float), {@code i} (integer or pointer) or {@code struct}, and its bytes. */
    record Param(String kind, int bytes) {
        @Override
        public String toString() {
            return kind.equals("struct") ? ".b8[" + bytes + "]" : "." + kind + bytes * 8;
        }
    }

    /** One kernel. */
    record Entry(String name, List<Param> params, boolean synchronizes) {
    }

    private static final Pattern HEADER = Pattern.compile("(\\.visible\\s+|\\.weak\\s+|\\.extern\\s+)?\\.(entry|func)\\b");
    private static final Pattern SYNC = Pattern.compile("(?m)^\\s*(?:@!?%\\w+\\s+)?(?:bar|barrier|shfl|vote|match|redux)\\.");
    private static final Pattern CALL = Pattern.compile("\\bcall(?:\\.uni)?\\s*(?:\\([^)]*\\)\\s*,)?\\s*([A-Za-z_$%][\\w$]*)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+(?:\\.align\\s+\\d+\\s+)?\\.([bsuf])(\\d+)\\b[^,\\[]*?(?:\\[(\\d+)])?\\s*$");

    /** Parsed images by content: every device (and every test) loads the same few modules. */
    private static final Map<ByteBuffer, PtxModule> PARSED = new ConcurrentHashMap<>();

    static PtxModule parse(byte[] image) {
        int n = image.length;
        while (n > 0 && image[n - 1] == 0) {
            n--; // cuModuleLoadData's C-string terminator
        }
        ByteBuffer key = ByteBuffer.wrap(Arrays.copyOf(image, n));
        PtxModule m = PARSED.get(key);
        if (m == null) {
            m = parse(new String(key.array(), StandardCharsets.US_ASCII));
            PARSED.put(key, m);
        }
        return m;
    }

    static PtxModule parse(String ptx) {
        String text = ptx.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", "");
        Map<String, List<Param>> entryParams = new LinkedHashMap<>();
        Map<String, Boolean> syncs = new HashMap<>();
        Map<String, Set<String>> calls = new HashMap<>();
        Matcher h = HEADER.matcher(text);
        int from = 0;
        while (h.find(from)) {
            boolean entry = h.group(2).equals("entry");
            int i = skipSpace(text, h.end());
            if (text.charAt(i) == '(') { // a .func's return value
                i = skipSpace(text, matching(text, i, '(', ')') + 1);
            }
            int nameStart = i;
            while (i < text.length() && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_' || text.charAt(i) == '$')) {
                i++;
            }
            String name = text.substring(nameStart, i);
            i = skipSpace(text, i);
            String params = "";
            if (i < text.length() && text.charAt(i) == '(') {
                int close = matching(text, i, '(', ')');
                params = text.substring(i + 1, close);
                i = close + 1;
            }
            int brace = text.indexOf('{', i);
            int semi = text.indexOf(';', i);
            if (brace < 0 || (semi >= 0 && semi < brace)) {
                from = semi < 0 ? text.length() : semi + 1; // a prototype
                continue;
            }
            int end = matching(text, brace, '{', '}');
            String body = text.substring(brace, end + 1);
            syncs.put(name, SYNC.matcher(body).find());
            Set<String> callees = new HashSet<>();
            Matcher c = CALL.matcher(body);
            while (c.find()) {
                callees.add(c.group(1));
            }
            calls.put(name, callees);
            if (entry && h.group(1) != null && h.group(1).trim().equals(".visible")) {
                entryParams.put(name, params(name, params));
            }
            from = end + 1;
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (var e : entryParams.entrySet()) {
            entries.put(e.getKey(), new Entry(e.getKey(), e.getValue(), synchronizes(e.getKey(), syncs, calls, new HashSet<>())));
        }
        return new PtxModule(Collections.unmodifiableMap(entries));
    }

    /** The entry names, in the order of the PTX. */
    List<String> names() {
        return List.copyOf(entries.keySet());
    }

    private static boolean synchronizes(String f, Map<String, Boolean> syncs, Map<String, Set<String>> calls, Set<String> seen) {
        if (!seen.add(f)) {
            return false;
        }
        if (!syncs.containsKey(f)) {
            return true; // an external or indirect callee: assume the worst
        }
        if (syncs.get(f)) {
            return true;
        }
        for (String g : calls.get(f)) {
            if (synchronizes(g, syncs, calls, seen)) {
                return true;
            }
        }
        return false;
    }

    private static List<Param> params(String kernel, String list) {
        List<Param> out = new ArrayList<>();
        if (list.isBlank()) {
            return out;
        }
        for (String p : list.split(",")) {
            Matcher m = PARAM.matcher(p.strip());
            if (!m.find()) {
                throw new IllegalArgumentException("PTX entry " + kernel + ": cannot read parameter \"" + p.strip() + "\"");
            }
            int bits = Integer.parseInt(m.group(2));
            if (m.group(3) != null) {
                out.add(new Param("struct", bits / 8 * Integer.parseInt(m.group(3))));
            } else {
                out.add(new Param(m.group(1).equals("f") ? "f" : "i", bits / 8));
            }
        }
        return out;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int matching(String s, int open, char o, char c) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == o) {
                depth++;
            } else if (ch == c && --depth == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("PTX: unbalanced '" + o + "' at offset " + open);
    }
}
