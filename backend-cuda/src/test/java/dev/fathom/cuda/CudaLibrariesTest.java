package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Library probing: versions when a binding loads, the missing shared object when it does not. */
class CudaLibrariesTest {

    static final UnsatisfiedLinkError NO_CUBLAS = new UnsatisfiedLinkError(
            "Error while loading native library \"JCublas2-12.6.0-linux-x86_64\"\n"
                    + "Stack trace from the attempt to load the library as a resource:\n"
                    + "java.lang.UnsatisfiedLinkError: /tmp/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: cannot open shared "
                    + "object file: No such file or directory\n\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)");

    @Test
    void aMissingLibraryNamesTheSharedObjectTheBindingNeeds() {
        CudaLibraries libs = CudaLibraries.probe(() -> {
            throw NO_CUBLAS;
        }, () -> {
            throw new NoClassDefFoundError("Could not initialize class jcuda.jcudnn.JCudnn");
        }, () -> "12.6");
        assertFalse(libs.cublas().isLoaded());
        assertEquals("cuBLAS: not loaded (libcublas.so.12: cannot open shared object file: No such file or directory)",
                libs.cublas().describe());
        assertEquals("cuDNN: not loaded (Could not initialize class jcuda.jcudnn.JCudnn)", libs.cudnn().describe());
        assertEquals("NVRTC 12.6", libs.nvrtc().describe());
        assertEquals(3, libs.all().size());
    }

    @Test
    void aFailingVersionCallIsAReasonNotAnException() {
        CudaLibraries libs = CudaLibraries.probe(() -> {
            throw new IllegalStateException("cublasGetProperty failed with cublasStatus 7");
        }, () -> "9.1.0", () -> "13.0");
        assertEquals("cuBLAS: not loaded (IllegalStateException: cublasGetProperty failed with cublasStatus 7)",
                libs.cublas().describe());
    }

    @Test
    void cudnnVersionEncodings() {
        assertEquals("9.1.0", CudaLibraries.formatCudnnVersion(90100));
        assertEquals("9.10.2", CudaLibraries.formatCudnnVersion(91002));
        assertEquals("8.9.7", CudaLibraries.formatCudnnVersion(8907));
    }

    @Test
    void theRealProbeNeverThrowsAndOnThisMachineSaysWhy() {
        // No CUDA 12 libraries on CI machines; on a GPU machine they may load. Either way: an answer per library.
        for (CudaLibraries.Library l : CudaLibraries.probed().all()) {
            assertNotNull(l.describe());
            assertTrue(l.isLoaded() || l.reason().length() > 10, l.describe());
            assertFalse(l.describe().contains("\n"), l.describe());
        }
    }
}
