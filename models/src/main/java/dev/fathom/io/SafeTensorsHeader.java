package dev.fathom.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file: the layout of the tensors and the free-form metadata.
 * {@link #layout} and {@link #encode} write it the way Hugging Face's reference implementation
 * ({@code safetensors/src/tensor.rs}, {@code prepare}) does, so the same tensors give the same
 * bytes; {@link #decode} reads any conforming header and rejects everything else with a message
 * that names the file.
 *
 * <p>Offsets are relative to the start of the data buffer (the byte after the header).
 */
final class SafeTensorsHeader {
    /** The key that holds the string-to-string metadata map instead of a tensor. */
    static final String METADATA_KEY = "__metadata__";
    /** Headers above this size are refused, as by the reference implementation (a guard against garbage lengths). */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The largest element count a Fathom tensor (a Java array) can hold. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private SafeTensorsHeader() {
    }

    /** One tensor's entry: dtype, shape and its byte range {@code [begin, end)} in the data buffer. */
    record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        long byteLength() {
            return end - begin;
        }

        int numel() {
            return (int) Shape.numel(shape);
        }

        String describe() {
            return "'" + name + "' " + Shape.format(shape) + " " + dtype + " at [" + begin + ", " + end + ")";
        }
    }

    /** A parsed header: entries in data order and the metadata in file order. */
    record Parsed(List<Entry> entries, Map<String, String> metadata, long dataLength) {
    }

    /** The safetensors name of a dtype. Exhaustive on purpose: a new DType must decide its name here. */
    static String name(DType dtype) {
        return switch (dtype) {
            case F32 -> "F32";
            case F64 -> "F64";
            case I64 -> "I64";
            case BOOL -> "BOOL";
        };
    }

    private static DType dtypeOf(String name) {
        return switch (name) {
            case "F32" -> DType.F32;
            case "F64" -> DType.F64;
            case "I64" -> DType.I64;
            case "BOOL" -> DType.BOOL;
            default -> null;
        };
    }

    /**
     * The reference implementation's {@code Dtype} order (it declares dtypes "in increasing alignment
     * order": BOOL &lt; ... &lt; F32 &lt; F64 &lt; I64); it lays tensors out by descending rank, then by name.
     */
    private static int alignmentRank(DType dtype) {
        return switch (dtype) {
            case BOOL -> 0;
            case F32 -> 1;
            case F64 -> 2;
            case I64 -> 3;
        };
    }

    /** Rust compares names as UTF-8 bytes; Java's String order differs above U+FFFF, so compare bytes too. */
    static final Comparator<String> UTF8_ORDER = (a, b) ->
            Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    /**
     * Sorts {@code entries} (whose offsets are ignored) into the reference implementation's order and
     * assigns contiguous offsets from 0.
     */
    static List<Entry> layout(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingInt((Entry e) -> -alignmentRank(e.dtype())).thenComparing(Entry::name, UTF8_ORDER));
        List<Entry> out = new ArrayList<>(sorted.size());
        long offset = 0;
        for (Entry e : sorted) {
            long length = Shape.numel(e.shape()) * e.dtype().byteSize();
            out.add(new Entry(e.name(), e.dtype(), e.shape(), offset, offset + length));
            offset += length;
        }
        return out;
    }

    /**
     * The header bytes: compact JSON with {@code __metadata__} first (omitted when empty), then the
     * entries in the given order with fields {@code dtype, shape, data_offsets}, padded with spaces
     * to a multiple of 8 so that the data buffer starts aligned.
     */
    static byte[] encode(List<Entry> entries, Map<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(METADATA_KEY);
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    g.writeStringField(m.getKey(), m.getValue());
                }
                g.writeEndObject();
            }
            for (Entry e : entries) {
                g.writeObjectFieldStart(e.name());
                g.writeStringField("dtype", name(e.dtype()));
                g.writeArrayFieldStart("shape");
                for (int s : e.shape()) {
                    g.writeNumber(s);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(e.begin());
                g.writeNumber(e.end());
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("SafeTensors: cannot write a header to memory", e);
        }
        while (out.size() % 8 != 0) {
            out.write(' ');
        }
        return out.toByteArray();
    }

    /**
     * Parses and validates a header. {@code available} is the number of bytes after the header in
     * the file; the entries must cover exactly that many, without gaps or overlaps.
     */
    static Parsed decode(String file, byte[] header, long available) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("header of " + file + " is not valid UTF-8 (" + e.getMessage() + "): not a safetensors file", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new IOException("header of " + file + " is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + lineOf(e) + "): corrupt or not a safetensors file", e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException("header of " + file + " must be a JSON object, found "
                    + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                entries.add(readEntry(file, field.getKey(), field.getValue()));
            }
        }
        // Files written by others may list tensors in any order; the data order is what must be gap-free.
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long next = 0;
        Entry previous = null;
        for (Entry e : entries) {
            if (e.begin() > next) {
                throw new IOException("bytes [" + next + ", " + e.begin() + ") of the data in " + file + " belong to no tensor (a gap "
                        + (previous == null ? "before the first tensor " : "after " + previous.describe() + ", before ")
                        + e.describe() + "): corrupt file");
            }
            if (e.begin() < next) {
                throw new IOException("tensors " + previous.describe() + " and " + e.describe() + " overlap in " + file + ": corrupt file");
            }
            next = e.end();
            previous = e;
        }
        if (next > available) {
            throw new IOException(file + " is truncated: its header describes " + next + " bytes of tensor data, but only " + available
                    + " bytes follow the header");
        }
        if (next < available) {
            throw new IOException(file + " has " + (available - next) + " bytes after the last tensor's data that belong to no tensor"
                    + " (the header describes " + next + " bytes): corrupt file");
        }
        return new Parsed(List.copyOf(entries), metadata, next);
    }

    private static long lineOf(JacksonException e) {
        return e.getLocation() == null ? -1 : e.getLocation().getLineNr();
    }

    private static void readMetadata(String file, JsonNode node, Map<String, String> into) throws IOException {
        if (!node.isObject()) {
            throw new IOException(METADATA_KEY + " in " + file + " must be an object of strings, found " + node.getNodeType().toString().toLowerCase());
        }
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isTextual()) {
                throw new IOException(METADATA_KEY + " entry '" + m.getKey() + "' in " + file + " must be a string, found " + m.getValue());
            }
            into.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static Entry readEntry(String file, String name, JsonNode node) throws IOException {
        String where = "tensor '" + name + "' in " + file;
        if (!node.isObject()) {
            throw new IOException(where + " must be an object with dtype, shape and data_offsets, found " + node);
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new IOException(where + " has " + (dtypeNode == null ? "no dtype" : "a dtype that is not a string: " + dtypeNode));
        }
        DType dtype = dtypeOf(dtypeNode.textValue());
        if (dtype == null) {
            throw new IOException("unsupported dtype " + dtypeNode.textValue() + " for tensor '" + name + "' in " + file
                    + "; Fathom reads F32, F64, I64, BOOL");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new IOException(where + " has " + (shapeNode == null ? "no shape" : "a shape that is not an array: " + shapeNode));
        }
        int[] shape = new int[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            long size = nonNegativeLong(shapeNode.get(i));
            if (size < 0 || size > Integer.MAX_VALUE) {
                throw new IOException(where + " has an invalid shape " + shapeNode + ": sizes must be integers in [0, " + Integer.MAX_VALUE + "]");
            }
            shape[i] = (int) size;
            // Both factors stay below 2^31 + 1, so the product cannot overflow before it is clamped.
            numel = Math.min(numel * size, MAX_ELEMENTS + 1);
        }
        if (numel > MAX_ELEMENTS) {
            throw new IOException(where + " has shape " + shapeNode + " with more than " + MAX_ELEMENTS
                    + " elements, the most a Fathom tensor (a Java array) holds");
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new IOException(where + " needs data_offsets [begin, end], found " + (offsets == null ? "none" : offsets));
        }
        long begin = nonNegativeLong(offsets.get(0));
        long end = nonNegativeLong(offsets.get(1));
        if (begin < 0 || end < 0 || begin > end) {
            throw new IOException(where + " has data_offsets " + offsets + " out of range: they must be integers with 0 <= begin <= end");
        }
        long expected = numel * dtype.byteSize();
        if (end - begin != expected) {
            throw new IOException(where + ": shape " + Shape.format(shape) + " of " + dtype + " needs " + numel + " x " + dtype.byteSize()
                    + " = " + expected + " bytes, but data_offsets " + offsets + " hold " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** The value of a JSON integer that fits a non-negative long, else -1. */
    private static long nonNegativeLong(JsonNode n) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
            return -1;
        }
        long v = n.longValue();
        return v < 0 ? -1 : v;
    }
}
