/**
 * The {@code fathom} command ({@code scripts/fathom}): {@link dev.fathom.cli.Main} and one class
 * per subcommand ({@link dev.fathom.cli.DevicesCommand}, {@link dev.fathom.cli.TrainCommand}
 * with its {@code charlm} subcommand {@link dev.fathom.cli.TrainCharLmCommand},
 * {@link dev.fathom.cli.SampleCommand}), on picocli.
 *
 * <p>Exit codes: 0 success, 1 a failure with a one-line reason on stderr (missing data, an
 * unusable device, a diverged run), 2 bad usage. Results go to stdout; the log (such as
 * {@code Device.auto()} saying why it fell back to the CPU) goes to stderr, one line per record.
 */
package dev.fathom.cli;
