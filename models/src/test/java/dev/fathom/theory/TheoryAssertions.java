package dev.fathom.theory;

import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the theory tests check that bad input is refused with a useful message. */
final class TheoryAssertions {
    private TheoryAssertions() {
    }

    /** Asserts that {@code call} throws {@code type} with a message containing every fragment. */
    static <T extends Throwable> void assertMessage(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        for (String f : fragments) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(f), "message \"" + e.getMessage() + "\" lacks \"" + f + "\"");
        }
    }
}
