package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LazyTextTest {

    @Test
    void theTextIsFormattedOnlyWhenShownAndOnlyOnce() {
        AtomicInteger calls = new AtomicInteger();
        Object text = LazyText.of(() -> "[" + calls.incrementAndGet() + ", 3] F32");
        assertEquals(0, calls.get(), "made, not yet shown");
        assertEquals("cuda: add [1, 3] F32", "cuda: add " + text);
        assertEquals("[1, 3] F32", text.toString());
        assertEquals(1, calls.get());
        String m = new CudaCheck(new FakeDriver()).message("add", text, 1);
        assertEquals("cuda: add [1, 3] F32 failed:", m.substring(0, "cuda: add [1, 3] F32 failed:".length()), m);
        assertEquals(1, calls.get(), "formatted once, whoever shows it");
    }
}
