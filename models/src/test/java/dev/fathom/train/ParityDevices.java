package dev.fathom.train;

import dev.fathom.spi.Backend;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.Assumptions;

import java.util.ArrayList;
import java.util.List;

/** The devices a cross-backend parity test compares: the CPU, then device 0 of every other available backend (cuda-emu in CI). */
public final class ParityDevices {
    private ParityDevices() {
    }

    /** The CPU first, then the others; skips the test, with every other backend's reason, when there is none. */
    public static List<Device> cpuAndOthers() {
        List<Device> devices = new ArrayList<>(List.of(Device.cpu()));
        List<String> skipped = new ArrayList<>();
        for (Backend b : Backends.all()) {
            if (!b.name().equals("cpu")) {
                if (b.availability().available() && b.deviceCount() > 0) {
                    devices.add(new Device(b.name(), 0));
                } else {
                    skipped.add(b.name() + ": " + b.availability().reason());
                }
            }
        }
        Assumptions.assumeTrue(devices.size() > 1, () -> "no backend besides the CPU is available here (" + skipped + ")");
        return devices;
    }
}
