package dev.fathom.bench.run;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.spi.Kernels;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BackendChoiceTest {

    private record Fake(String name, int priority, Availability availability) implements Backend {
        @Override
        public int deviceCount() {
            return availability.available() ? 1 : 0;
        }

        @Override
        public String describe(int index) {
            return name;
        }

        @Override
        public Kernels kernels(int index) {
            throw new UnsupportedOperationException("fake");
        }
    }

    private static final Backend CPU = new Fake("cpu", 0, Availability.yes("2 cores"));
    private static final Backend CUDA_MISSING = new Fake("cuda", 10, Availability.no("no NVIDIA driver: libcuda.so.1 not found"));
    private static final Backend CUDA = new Fake("cuda", 10, Availability.yes("H100"));
    private static final Backend EMU = new Fake("cuda-emu", -1, Availability.yes("emulated"));

    private static List<String> names(List<Backend> bs) {
        return bs.stream().map(Backend::name).toList();
    }

    @Test
    void defaultIsEveryAvailableBackendCpuFirstWithoutTestBackends() throws Exception {
        assertEquals(List.of("cpu"), names(BackendChoice.choose(List.of(), List.of(CUDA_MISSING, CPU, EMU))));
        assertEquals(List.of("cpu", "cuda"), names(BackendChoice.choose(List.of(), List.of(CUDA, CPU, EMU))));
    }

    @Test
    void anUnavailableBackendAskedForByNameIsAnErrorWithItsReason() {
        assertEquals("--backends: cuda cannot run here: no NVIDIA driver: libcuda.so.1 not found",
                assertThrows(UsageException.class, () -> BackendChoice.choose(List.of("cpu", "cuda"), List.of(CUDA_MISSING, CPU))).getMessage());
        assertEquals("--backends: no backend named \"tpu\" (found: cuda, cpu)",
                assertThrows(UsageException.class, () -> BackendChoice.choose(List.of("tpu"), List.of(CUDA_MISSING, CPU))).getMessage());
    }

    @Test
    void namedBackendsKeepTheCpuFirst() throws Exception {
        assertEquals(List.of("cpu", "cuda"), names(BackendChoice.choose(List.of("cuda", "cpu"), List.of(CUDA, CPU))));
        assertEquals(List.of("cuda-emu"), names(BackendChoice.choose(List.of("cuda-emu"), List.of(CPU, EMU))));
    }
}
