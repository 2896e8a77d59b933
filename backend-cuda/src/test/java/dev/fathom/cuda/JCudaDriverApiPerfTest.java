package dev.fathom.cuda;

import dev.fathom.cuda.CudaDriver.AlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link JCudaDriverApi}'s one reader of cuDNN's algorithm results, which reads JCudnn's three perf
 * classes by their public fields' names (they share no type). The classes are plain Java, so this
 * runs without cuDNN: a JCudnn whose fields were renamed fails here, not on a GPU.
 */
class JCudaDriverApiPerfTest {

    @Test
    void everyPassesResultReadsTheSameFields() {
        cudnnConvolutionFwdAlgoPerf fwd = new cudnnConvolutionFwdAlgoPerf(6, 0, 0.25f, 4096L, 1, 3, new int[3]);
        cudnnConvolutionBwdDataAlgoPerf data = new cudnnConvolutionBwdDataAlgoPerf(1, 3, 1.5f, 1L << 33, 0, 0, new int[3]);
        cudnnConvolutionBwdFilterAlgoPerf filter = new cudnnConvolutionBwdFilterAlgoPerf(5, 0, 0.75f, 0L, 1, 1, new int[3]);
        assertEquals(new AlgoPerf(6, 0, 4096L, true, 3, 0.25f), JCudaDriverApi.readPerf(fwd, true));
        assertEquals(new AlgoPerf(1, 3, 1L << 33, false, 0, 1.5f), JCudaDriverApi.readPerf(data, true));
        assertEquals(new AlgoPerf(5, 0, 0L, true, 1, 0.75f), JCudaDriverApi.readPerf(filter, true));
        AlgoPerf heuristic = JCudaDriverApi.readPerf(fwd, false);
        assertTrue(Float.isNaN(heuristic.timeMs()), "a heuristic query measures nothing: " + heuristic);
        assertEquals(new AlgoPerf(6, 0, 4096L, true, 3), heuristic);
    }

    @Test
    void freshResultsAreDistinctObjectsOfThePassesType() {
        cudnnConvolutionBwdFilterAlgoPerf[] perf = JCudaDriverApi.newPerfs(cudnnConvolutionBwdFilterAlgoPerf.class, 3);
        assertEquals(3, perf.length);
        assertNotSame(perf[0], perf[1]);
        assertEquals(cudnnConvolutionBwdFilterAlgoPerf.class, perf.getClass().getComponentType());
    }

    @Test
    void aClassWithoutTheFieldsIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JCudaDriverApi.readPerf("not a perf", true));
        assertTrue(e.getMessage().contains("JCudnn's String lacks a field"), e.getMessage());
    }
}
