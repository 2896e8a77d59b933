package dev.fathom.cuda;

import java.util.Locale;

/**
 * How {@link CudnnOps} picks each convolution pass's algorithm, once per geometry and dtype, from
 * the deterministic FMA-math ones that fit the workspace cap. {@value #PROPERTY} selects it.
 */
enum CudnnAlgoSearch {
    /**
     * The default: {@code cudnnFindConvolution*AlgorithmEx} runs the candidates on the first call's
     * own buffers, and the fastest is kept, as PyTorch's {@code torch.backends.cudnn.benchmark}
     * does. With the heuristics' choice the reference CNN's training step took 3.0 ms on an H100,
     * with the measured one 2.4 ms (conv2's forward and backward: 0.65 against 0.44 ms). Which
     * algorithm wins can differ between runs when two are within noise of each other; each is
     * deterministic, so results then differ by rounding only.
     */
    MEASURED("the fastest deterministic algorithm as cudnnFind*AlgorithmEx measures it on first use"),
    /** {@code cudnnGetConvolution*Algorithm_v7}'s best-rated candidate: nothing is run, the same choice on every run. */
    HEURISTIC("the best-rated deterministic algorithm of the v7 heuristics");

    /** {@code -Dfathom.cuda.cudnn.algorithms=measured|heuristic}. */
    static final String PROPERTY = "fathom.cuda.cudnn.algorithms";

    private final String description;

    CudnnAlgoSearch(String description) {
        this.description = description;
    }

    /** What the plan line of {@code fathom devices} says about the choice. */
    String description() {
        return description;
    }

    /** The plan line's words for the configured search, or what is wrong with {@value #PROPERTY} (never throws). */
    static String describeConfigured() {
        try {
            return configured().description() + " (-D" + PROPERTY + ")";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /**
     * The search {@value #PROPERTY} names ({@code measured} when unset).
     *
     * @throws IllegalArgumentException for any other value, naming the two accepted
     */
    static CudnnAlgoSearch configured() {
        return parse(System.getProperty(PROPERTY));
    }

    /** The search value {@code v} of {@value #PROPERTY} names (null or blank: {@code measured}); throws as {@link #configured}. */
    static CudnnAlgoSearch parse(String v) {
        if (v == null || v.isBlank()) {
            return MEASURED;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "measured" -> MEASURED;
            case "heuristic" -> HEURISTIC;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + v + " is not a cuDNN algorithm search; use"
                    + " measured (run the candidates once, keep the fastest; the default) or heuristic (cuDNN's v7 ranking)");
        };
    }
}
