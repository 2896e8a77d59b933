package dev.fathom.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options every command that touches Fashion-MNIST shares: where it runs and where the data is. */
final class DataAndDevice {
    @Option(names = "--device", paramLabel = "DEVICE", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST IDX files (default: /usr/share/datasets/fashion-mnist).")
    Path data;
}
