package dev.fathom.cli;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.spi.MemoryStats;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.DeviceUnavailableException;
import dev.fathom.tensor.internal.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code fathom devices}: every backend on the class path, whether it can run here and why, and what {@code auto} picks. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the backends found, whether each can run here (and why not), their devices and memory, and the device `auto` picks.")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "Java %s (%s), %d CPU cores, %s %s%n", Runtime.version(), System.getProperty("java.vendor"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"));
        if (Backends.all().isEmpty()) {
            out.println("no backends on the class path: add dev.fathom:backend-cpu");
            return 1;
        }
        for (Backend b : Backends.all()) {
            Availability a = b.availability();
            out.printf(Locale.ROOT, "%n%s (priority %d): %s%n", b.name(), b.priority(), a.available() ? "available" : "not available");
            out.println("  " + a.reason());
            for (String line : b.details()) {
                out.println("  " + line);
            }
            if (!a.available()) {
                continue;
            }
            for (int i = 0; i < b.deviceCount(); i++) {
                Device d = new Device(b.name(), i);
                out.printf("  [%d] %s%n", i, b.describe(i));
                out.println("    memory: " + format(Backends.kernels(d).memoryStats()));
            }
        }
        out.println();
        try {
            out.println("auto picks: " + Device.auto());
        } catch (DeviceUnavailableException e) {
            out.println("auto picks: nothing, no backend can run here (the reasons are above)");
            return 1;
        }
        return 0;
    }

    private static String format(MemoryStats m) {
        return String.format(Locale.ROOT, "%d live buffers, %s live, %s peak, %d allocations, %d from the pool", m.liveBuffers(),
                bytes(m.liveBytes()), bytes(m.peakBytes()), m.allocations(), m.cacheHits());
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u + 1 < units.length) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
