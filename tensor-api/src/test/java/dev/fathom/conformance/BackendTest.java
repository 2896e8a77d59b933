package dev.fathom.conformance;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test that runs once per backend under test ({@link TestBackends#backends()}); the method takes
 * a {@link TestBackends.Case} and starts with {@code use(backend)} (see {@link ConformanceTest}).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "[{index}] {0}")
@MethodSource("dev.fathom.conformance.TestBackends#backends")
public @interface BackendTest {
}
