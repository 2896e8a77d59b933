package dev.fathom.bench.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fathom.bench.report.Measurement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a peer script's JSON lines (see {@code peers/torch/README.md}: one object per result with
 * {@code suite, bench, threads, metric, value, unit}, plus {@code env}, {@code config} and
 * {@code script_wall_s} lines) into {@link Measurement}s named as Fathom's own: {@code gemm}
 * (numpy.dot as backend {@code numpy}, torch.mm as {@code torch}) and {@code train.*} (backend
 * {@code torch}). For the MLP and CNN, whose scripts time whole epochs, that is the last epoch's
 * samples/s: Fathom's side is measured after its warm-up, and PyTorch's first epoch runs 10–20%
 * slower than its later ones (CNN: 4,596 against 5,750 samples/s on this machine). The script's
 * verdict on foreign CPU load ({@code contaminated}) goes on each of its measurements.
 */
public final class PeerLines {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one script reported. */
    public record Parsed(List<Measurement> measurements, Map<String, String> env, double wallSeconds, boolean contaminated) {
    }

    private PeerLines() {
    }

    /** Parses the stdout lines of one script; lines that are not JSON objects (there should be none) are skipped. */
    public static Parsed parse(List<String> lines) {
        List<JsonNode> records = new ArrayList<>();
        for (String line : lines) {
            String t = line.strip();
            if (!t.startsWith("{")) {
                continue;
            }
            try {
                records.add(JSON.readTree(t));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("peer output: not a JSON line: " + abbreviate(t) + " (" + e.getOriginalMessage() + ")", e);
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode config = null;
        double wall = Double.NaN;
        boolean contaminated = false;
        for (JsonNode r : records) {
            switch (r.path("metric").asText()) {
                case "env" -> r.properties().forEach(e -> {
                    if (e.getValue().isValueNode()) {
                        env.put(e.getKey(), e.getValue().asText());
                    }
                });
                case "config" -> config = r;
                case "script_wall_s" -> {
                    wall = r.path("value").asDouble(Double.NaN);
                    contaminated = r.path("contaminated").asBoolean(false);
                }
                default -> {
                }
            }
        }
        Map<String, Integer> lastEpoch = new LinkedHashMap<>();
        for (JsonNode r : records) {
            if (r.path("metric").asText().equals("train_samples_per_s")) {
                lastEpoch.merge(r.path("bench").asText(), r.path("epoch").asInt(), Math::max);
            }
        }
        List<Measurement> out = new ArrayList<>();
        for (JsonNode r : records) {
            if (r.path("metric").asText().equals("train_samples_per_s") && r.path("epoch").asInt() != lastEpoch.get(r.path("bench").asText())) {
                continue;
            }
            Measurement m = measurement(r, config, contaminated);
            if (m != null) {
                out.add(m);
            }
        }
        return new Parsed(out, env, wall, contaminated);
    }

    private static Measurement measurement(JsonNode r, JsonNode config, boolean contaminated) {
        String bench = r.path("bench").asText(), metric = r.path("metric").asText();
        int threads = Math.max(1, r.path("threads").asInt(1));
        double value = r.path("value").asDouble(Double.NaN);
        Map<String, Object> params = new LinkedHashMap<>();
        switch (bench + "/" + metric) {
            case "gemm/gflops" -> {
                String impl = r.path("impl").asText();
                String backend = impl.equals("numpy.dot") ? "numpy" : impl.equals("torch.mm") ? "torch" : impl;
                params.put("n", r.path("n").asLong());
                double ms = r.path("ms_per_call_median").asDouble(Double.NaN);
                return new Measurement("gemm", backend, params, ms, "ms/op", null, value, null, null, ms, threads, contaminated);
            }
            case "mlp_fmnist/train_samples_per_s", "cnn_fmnist/train_samples_per_s" -> {
                params.put("batch", config(config, "batch", 128));
                return new Measurement(bench.equals("mlp_fmnist") ? "train.mlp" : "train.cnn", "torch", params, value, "samples/s", null,
                        null, null, null, null, threads, contaminated);
            }
            case "charlm_transformer/train_tokens_per_s", "charlm_lstm/train_tokens_per_s" -> {
                params.put("batch", config(config, "batch", 32));
                params.put("context", config(config, "ctx", 128));
                return new Measurement(bench.equals("charlm_transformer") ? "train.gpt" : "train.lstm", "torch", params, value, "tokens/s",
                        null, null, null, null, r.path("step_ms_median").isNumber() ? r.path("step_ms_median").asDouble() : null, threads,
                        contaminated);
            }
            case "dcgan_fmnist/steps_per_s" -> {
                params.put("batch", config(config, "batch", 64));
                return new Measurement("train.dcgan", "torch", params, value, "steps/s", null, null, null, null, 1e3 / value, threads,
                        contaminated);
            }
            default -> {
                return null;
            }
        }
    }

    private static long config(JsonNode config, String key, long fallback) {
        return config != null && config.path(key).isIntegralNumber() ? config.path(key).asLong() : fallback;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
