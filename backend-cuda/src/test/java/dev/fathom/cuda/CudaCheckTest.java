package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every runtime driver status becomes one message naming the op, shapes and the CUDA error. */
class CudaCheckTest {

    @Test
    void successPassesAndAnErrorNamesOpShapesAndTheCudaError() {
        CudaCheck check = new CudaCheck(new FakeDriver());
        assertDoesNotThrow(() -> check.check("add", "[2]", 0));
        CudaException e = assertThrows(CudaException.class,
                () -> check.check("matmul: cuLaunchKernel(gemm_f32)", "[64, 128] x [128, 10]", 1));
        assertEquals("cuda: matmul: cuLaunchKernel(gemm_f32) [64, 128] x [128, 10] failed: CUDA_ERROR_INVALID_VALUE (1): "
                + "invalid argument", e.getMessage());
        assertEquals("matmul: cuLaunchKernel(gemm_f32)", e.op());
        assertEquals(1, e.status());
        assertInstanceOf(IllegalStateException.class, e);
    }

    @Test
    void theDriversOwnNamesWinOverTheBuiltInTable() {
        CudaCheck check = new CudaCheck(new FakeDriver().driverKnowsNames());
        CudaException e = assertThrows(CudaException.class, () -> check.check("sum", "", 2));
        assertEquals("cuda: sum failed: FAKE_2 (2): fake description", e.getMessage());
    }

    @Test
    void theBuiltInTableCoversTheCommonCodes() {
        CudaCheck check = new CudaCheck(new FakeDriver());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", check.describe(2));
        assertEquals("CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222): the provided PTX was compiled with an unsupported toolchain.",
                check.describe(222));
        assertEquals("CUDA_ERROR_NOT_FOUND (500): named symbol not found", check.describe(500));
        assertEquals("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES (701): too many resources requested for launch", check.describe(701));
        assertEquals("CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected", check.describe(100));
        assertEquals("unknown CUDA error (12345)", check.describe(12345));
    }

    @Test
    void stickyErrorsSayTheContextIsGoneAndHowToFindTheCulprit() {
        CudaCheck check = new CudaCheck(new FakeDriver());
        String m = check.message("item", "[1]", 700);
        assertTrue(m.startsWith("cuda: item [1] failed: CUDA_ERROR_ILLEGAL_ADDRESS (700): an illegal memory access was encountered;"), m);
        assertTrue(m.contains("restart the process") && m.contains("-Dfathom.cuda.sync=true"), m);
        assertTrue(CudaCheck.isSticky(719) && CudaCheck.isSticky(702));
        // A launch that asks for too much is refused up front and leaves the context usable.
        assertFalse(CudaCheck.isSticky(701) || CudaCheck.isSticky(2) || CudaCheck.isSticky(720));
    }

    @Test
    void aDriverThatCannotNameErrorsFallsBackToTheTable() {
        // A driver whose library is gone: naming an error must not throw a second error over the first.
        CudaCheck check = new CudaCheck(new FakeDriver().namesThrow());
        assertEquals("CUDA_ERROR_INVALID_HANDLE (400): invalid resource handle", check.describe(400));
    }
}
