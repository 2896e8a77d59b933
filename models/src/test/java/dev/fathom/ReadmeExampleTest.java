package dev.fathom;

import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's example, compiled and run as written: the first {@code ```java} block must be a
 * complete {@code public class Example}, and what it prints must equal the next fenced block
 * (the expected output shown under it).
 */
class ReadmeExampleTest {
    private static final Pattern FENCE = Pattern.compile("(?m)^```(\\w*)\\s*$\\n(.*?)^```\\s*$", Pattern.DOTALL);

    /** README.md, found by walking up from the working directory (a module directory under Maven). */
    private static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("README.md");
            if (Files.isRegularFile(candidate) && Files.isDirectory(dir.resolve("tensor-api"))) {
                return candidate;
            }
        }
        throw new AssertionError("README.md not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void readmeExampleCompilesRunsAndPrintsWhatTheReadmeShows(@TempDir Path work) throws Exception {
        String text = Files.readString(readme());
        Matcher m = FENCE.matcher(text);
        String source = null;
        String expected = null;
        while (m.find()) {
            if (source == null && m.group(1).equals("java")) {
                source = m.group(2);
            } else if (source != null) {
                expected = m.group(2);
                break;
            }
        }
        assertNotNull(source, "README.md has no ```java block");
        assertNotNull(expected, "README.md shows no expected output (a fenced block) after its ```java example");
        assertTrue(source.contains("public class Example"), "the README example must be a complete `public class Example`");

        Path src = work.resolve("Example.java");
        Files.writeString(src, source);
        compile(src, work);
        String printed = run(work);
        assertEquals(expected.strip(), printed.strip().replace("\r\n", "\n"), "the README's expected output is out of date");
    }

    private static void compile(Path src, Path out) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "no Java compiler: run the tests on a JDK, not a JRE");
        // Surefire may hand the JVM a manifest-only jar; the tensor API's own location is the sure entry.
        String classPath = System.getProperty("java.class.path") + File.pathSeparator + location(Tensor.class);
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            List<String> options = List.of("--add-modules", "jdk.incubator.vector", "-proc:none", "-classpath", classPath, "-d", out.toString());
            boolean ok = javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjects(src)).call();
            assertTrue(ok, "the README example does not compile:\n" + diagnostics.getDiagnostics());
        }
    }

    private static String run(Path classes) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, ReadmeExampleTest.class.getClassLoader());
             PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            Method main = loader.loadClass("Example").getMethod("main", String[].class);
            System.setOut(capture);
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
