package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.io.IoErrors;
import dev.fathom.tensor.DeviceUnavailableException;
import dev.fathom.train.TrainingDivergedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/** {@code fathom <command>}: the entry point of {@code scripts/fathom}. */
@Command(name = "fathom", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Fathom: tensors, autograd and models in Java, on the CPU or an NVIDIA GPU.",
        footer = "%n`scripts/fathom bench` runs the JMH benchmarks on every backend side by side (scripts/bench, from a source checkout).",
        subcommands = {DevicesCommand.class, TrainCommand.class, EvalCommand.class, SampleCommand.class, LandscapeCommand.class, ParityCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Prints the usage: {@code fathom} alone is a request for help. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give a command, e.g. `fathom devices` or `fathom train mlp`");
    }

    public static void main(String[] args) {
        // One line per log record (the JDK default is two, with a timestamp); unless the user chose a format.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with the given streams and returns the exit code (for tests). */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out).setErr(err).setExecutionExceptionHandler(Main::handle).setCaseInsensitiveEnumValuesAllowed(true);
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // An Error passes picocli's exception handler; a heap too small is the user's to fix, not a trace to read.
            err.println("fathom: out of memory (" + e.getMessage() + ", maximum heap " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB); give the JVM more with FATHOM_JAVA_OPTS=-Xmx8g, or lower --batch");
            err.flush();
            return 1;
        }
    }

    /** Expected failures are one line on stderr and exit code 1; anything else keeps its stack trace. */
    private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        String command = cli.getCommandSpec().qualifiedName();  // "fathom train dcgan", not "fathom dcgan"
        if (e instanceof UncheckedIOException u) {
            err.println(command + ": " + IoErrors.describe(u));   // the wrapper's message has the context (what was being written)
        } else if (e instanceof IOException io) {
            err.println(command + ": " + IoErrors.describe(io));  // NIO's exceptions hold only the path
        } else if (e instanceof DeviceUnavailableException || e instanceof TrainingDivergedException || e instanceof IllegalArgumentException) {
            err.println(command + ": " + e.getMessage());
        } else {
            err.println(command + ": unexpected error; please report it with this trace:");
            e.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    /** {@code fathom --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"Fathom " + Fathom.version() + " on Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
