package dev.fathom.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Compiles a kernel-emulation driver ({@code src/test/cuda/NAME.cpp}, which includes the shim
 * {@code cuda_emu.h} and the kernel sources of {@code src/main/cuda}) with g++ and runs it: the
 * shared plumbing of the emulation tests. Paths are relative to {@link #ROOT}: backend-cuda's
 * directory, which is where backend-cuda's surefire runs, or {@code -Dfathom.cuda.emu.root=DIR}
 * when another module's tests use the emulated device (models' pom sets it to
 * {@code ../backend-cuda}, so its parity tests compare the CPU with the real kernels, emulated).
 *
 * <p>It also builds the kernel libraries of {@link EmulatedDriver} ({@link #driverModules()}):
 * one shared library per {@code src/main/cuda/*.cu}, as the GPU has one module per PTX file (so
 * two sources may use the same helper names, as they may on the GPU), with an
 * {@code emu_<kernel>} trampoline ({@code src/test/cuda/emu_trampoline.h}) for every
 * {@code .visible .entry} of the module's committed PTX. Libraries are cached under
 * {@code target/emu-driver/}, named by a hash of everything that goes into them.
 */
final class Emulator {
    /** Names backend-cuda's directory when the tests run elsewhere; empty (the working directory) by default. */
    static final String ROOT_PROPERTY = "fathom.cuda.emu.root";
    static final Path ROOT = Path.of(System.getProperty(ROOT_PROPERTY, ""));
    static final Path CUDA_SRC = ROOT.resolve("src/main/cuda");
    static final Path EMU_SRC = ROOT.resolve("src/test/cuda");

    private Emulator() {
    }

    /** Compiles src/test/cuda/NAME.cpp (which includes the shim and a kernel source) into dir. */
    static Path compile(String name, Path dir) throws Exception {
        assumeTrue(gppAvailable(), "g++ is not on PATH: kernel emulation compiles the .cu files as C++20 with g++ "
                + "(Debian: apt-get install g++)");
        assertTrue(Files.isRegularFile(EMU_SRC.resolve(name + ".cpp")),
                "run from backend-cuda or set -D" + ROOT_PROPERTY + ": " + EMU_SRC.toAbsolutePath() + " has no " + name + ".cpp");
        Path exe = dir.resolve(name);
        run(List.of("g++", "-std=c++20", "-pthread", "-O1", "-Wall", "-Werror", "-I", EMU_SRC.toString(), "-I",
                CUDA_SRC.toString(), "-x", "c++", EMU_SRC.resolve(name + ".cpp").toString(), "-o", exe.toString()),
                "compile " + name + ".cpp", 180);
        return exe;
    }

    /**
     * A kernel module built for {@link EmulatedDriver}: its name, its shared library and its PTX's
     * entries; when g++ could not build it, {@code buildError} holds g++'s output (else null), so
     * that only the launches of that module fail.
     */
    record DriverModule(String name, Path library, PtxModule ptx, String buildError) {
    }

    static final Path PTX_DIR = ROOT.resolve("src/main/resources/dev/fathom/cuda/ptx");
    static final Path DRIVER_CACHE = ROOT.resolve("target/emu-driver");
    private static final List<String> LIBRARY_FLAGS = List.of("-std=c++20", "-O2", "-pthread", "-fPIC", "-shared",
            "-fvisibility=hidden", "-Wall", "-Werror");
    private static List<DriverModule> driverModules;

    /** Why the emulated driver cannot be built here, or null when it can. */
    static String driverUnavailableReason() {
        if (!gppAvailable()) {
            return "g++ is not on PATH: the emulated CUDA driver compiles the .cu files as C++20 with g++ "
                    + "(Debian: apt-get install g++)";
        }
        if (!Files.isDirectory(CUDA_SRC) || !Files.isDirectory(PTX_DIR)) {
            return "run from backend-cuda or set -D" + ROOT_PROPERTY + "=<backend-cuda's directory>: " + CUDA_SRC.toAbsolutePath()
                    + " or " + PTX_DIR.toAbsolutePath() + " is missing";
        }
        return null;
    }

    /**
     * Builds (or finds in the cache) one library per kernel source, compiling in parallel; once per
     * JVM. A source g++ rejects gives a module with its {@code buildError}: loading it fails with
     * that output, and EmulatedDriverTest fails on it.
     */
    static synchronized List<DriverModule> driverModules() throws IOException, InterruptedException {
        if (driverModules != null) {
            return driverModules;
        }
        String reason = driverUnavailableReason();
        if (reason != null) {
            throw new IllegalStateException(reason);
        }
        Files.createDirectories(DRIVER_CACHE);
        List<Path> sources;
        try (var s = Files.list(CUDA_SRC)) {
            sources = s.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
        StringBuilder shared = new StringBuilder(String.join(" ", LIBRARY_FLAGS)).append(gppVersion());
        for (Path p : List.of(EMU_SRC.resolve("cuda_emu.h"), EMU_SRC.resolve("emu_trampoline.h"))) {
            shared.append(Files.readString(p));
        }
        try (var s = Files.list(CUDA_SRC)) {
            for (Path p : s.filter(q -> q.toString().endsWith(".cuh")).sorted().toList()) {
                shared.append(Files.readString(p));
            }
        }
        List<DriverModule> modules = new ArrayList<>();
        List<Process> builds = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        List<Path[]> moves = new ArrayList<>();
        List<DriverModule> pending = new ArrayList<>();
        for (Path cu : sources) {
            String name = cu.getFileName().toString().replaceFirst("\\.cu$", "");
            Path ptxFile = PTX_DIR.resolve(name + ".ptx");
            if (!Files.isRegularFile(ptxFile)) {
                throw new IllegalStateException(cu + " has no committed PTX " + ptxFile + "; run scripts/build-kernels");
            }
            PtxModule ptx = PtxModule.parse(Files.readAllBytes(ptxFile));
            // Named relative to ROOT: the hash below must not depend on which module's tests built the library.
            StringBuilder unit = new StringBuilder("// Generated by dev.fathom.cuda.Emulator from " + ROOT.relativize(ptxFile) + "; do not edit.\n")
                    .append("#include \"cuda_emu.h\"\n#include \"").append(name).append(".cu\"\n#include \"emu_trampoline.h\"\n");
            for (PtxModule.Entry e : ptx.entries().values()) {
                unit.append("FATHOM_EMU_ENTRY(").append(e.name()).append(", ").append(e.synchronizes() ? 0 : 1).append(")\n");
            }
            String hash = sha256(shared + Files.readString(cu) + unit).substring(0, 16);
            Path lib = DRIVER_CACHE.resolve("libemu_" + name + "-" + hash + ".so").toAbsolutePath();
            if (Files.isRegularFile(lib)) {
                modules.add(new DriverModule(name, lib, ptx, null));
                continue;
            }
            modules.add(null); // filled in when its build ends
            Path cpp = DRIVER_CACHE.resolve("emu_" + name + ".cpp");
            Files.writeString(cpp, unit);
            Path tmp = Files.createTempFile(DRIVER_CACHE, "libemu_" + name, ".so.tmp");
            Path log = Files.createTempFile(DRIVER_CACHE, "emu_" + name, ".log");
            List<String> cmd = new ArrayList<>(List.of("g++"));
            cmd.addAll(LIBRARY_FLAGS);
            cmd.addAll(List.of("-I", EMU_SRC.toString(), "-I", CUDA_SRC.toString(), "-x", "c++", cpp.toString(), "-o", tmp.toString()));
            builds.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
            logs.add(log);
            moves.add(new Path[] {tmp, lib});
            pending.add(new DriverModule(name, lib, ptx, null));
        }
        for (int i = 0; i < builds.size(); i++) {
            Process p = builds.get(i);
            boolean done = p.waitFor(300, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String out = Files.readString(logs.get(i));
            Files.deleteIfExists(logs.get(i));
            DriverModule m = pending.get(i);
            if (!done || p.exitValue() != 0) {
                Files.deleteIfExists(moves.get(i)[0]);
                m = new DriverModule(m.name(), null, m.ptx(), "g++ " + (done ? "failed" : "timed out") + " on "
                        + DRIVER_CACHE.resolve("emu_" + m.name() + ".cpp") + ":\n" + out);
            } else {
                Files.move(moves.get(i)[0], moves.get(i)[1], StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            modules.set(modules.indexOf(null), m);
        }
        driverModules = List.copyOf(modules);
        return driverModules;
    }

    private static String gppVersion() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("g++", "--version").redirectErrorStream(true).start();
        String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return v;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
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

    /** The kernel entry names of the committed PTX module {@code module}, which must target sm_75 (compute_75). */
    static Set<String> ptxEntries(String module) throws IOException {
        String ptx;
        try (InputStream in = Emulator.class.getResourceAsStream("ptx/" + module + ".ptx")) {
            assertNotNull(in, "dev/fathom/cuda/ptx/" + module + ".ptx is missing: run scripts/build-kernels");
            ptx = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        assertTrue(ptx.contains(".target sm_75"), module + ".ptx must target sm_75 (compute_75)");
        Set<String> entries = new TreeSet<>();
        Matcher m = Pattern.compile("\\.visible \\.entry (\\w+)\\(").matcher(ptx);
        while (m.find()) {
            entries.add(m.group(1));
        }
        return entries;
    }
}
