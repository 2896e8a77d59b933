/**
 * The {@code fathom} command ({@code scripts/fathom}): {@link dev.fathom.cli.Main} and one class
 * per subcommand ({@link dev.fathom.cli.DevicesCommand}; {@link dev.fathom.cli.TrainCommand} with
 * its subcommands {@link dev.fathom.cli.TrainCharLmCommand} and {@link dev.fathom.cli.TrainDcganCommand};
 * {@link dev.fathom.cli.EvalCommand}; {@link dev.fathom.cli.SampleCommand}, with
 * {@link dev.fathom.cli.GanSampling} for DCGAN grids; {@link dev.fathom.cli.LandscapeCommand}, with
 * {@code LandscapePlot}, the one class here that draws with AWT and XChart; {@link dev.fathom.cli.ParityCommand}), on picocli.
 *
 * <p>Exit codes: 0 success; 1 a failure with a one-line reason on stderr (missing data, an
 * unusable device, a diverged run, a file that cannot be read or written, and option values that
 * parse but that {@code call()} finds unusable, such as {@code --epochs 0}); 2 bad usage that
 * picocli finds while parsing (an unknown option, a value of the wrong type, a missing parameter),
 * followed by the usage. Results go to stdout; the log (such as {@code Device.auto()} saying why it
 * fell back to the CPU) goes to stderr, one line per record.
 */
package dev.fathom.cli;
