package dev.fathom.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Compiles a kernel-emulation driver ({@code src/test/cuda/NAME.cpp}, which includes the shim
 * {@code cuda_emu.h} and the kernel sources of {@code src/main/cuda}) with g++ and runs it: the
 * shared plumbing of the emulation tests. Paths are relative to backend-cuda, where surefire runs.
 */
final class Emulator {
    static final Path CUDA_SRC = Path.of("src/main/cuda");
    static final Path EMU_SRC = Path.of("src/test/cuda");

    private Emulator() {
    }

    /** Compiles src/test/cuda/NAME.cpp (which includes the shim and a kernel source) into dir. */
    static Path compile(String name, Path dir) throws Exception {
        assumeTrue(gppAvailable(), "g++ is not on PATH: kernel emulation compiles the .cu files as C++20 with g++ "
                + "(Debian: apt-get install g++)");
        assertTrue(Files.isRegularFile(EMU_SRC.resolve(name + ".cpp")),
                "run from backend-cuda: " + EMU_SRC.toAbsolutePath() + " has no " + name + ".cpp");
        Path exe = dir.resolve(name);
        run(List.of("g++", "-std=c++20", "-pthread", "-O1", "-Wall", "-Werror", "-I", EMU_SRC.toString(), "-I",
                CUDA_SRC.toString(), "-x", "c++", EMU_SRC.resolve(name + ".cpp").toString(), "-o", exe.toString()),
                "compile " + name + ".cpp", 180);
        return exe;
    }

    static boolean gppAvailable() {
        try {
            Process p = new ProcessBuilder("g++", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs cmd, returns its combined output; fails the test, with the output, on a non-zero exit or a timeout. */
    static String run(List<String> cmd, String what, int timeoutSeconds) throws Exception {
        Path log = Files.createTempFile("fathom-emu", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String out = Files.readString(log);
            assertTrue(done, what + " did not finish in " + timeoutSeconds + " s (a kernel deadlocked?):\n" + out);
            assertEquals(0, p.exitValue(), what + " failed: " + String.join(" ", cmd) + "\n" + out);
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static List<String> names(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).toList();
    }
}
