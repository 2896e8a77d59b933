package dev.fathom.data;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorDatasetTest {

    @Test
    void idsStayI64FromTheArraysToTheBatchTensors() {
        // Token ids above 2^24 would not survive a trip through F32.
        long big = (1L << 40) + 1;
        long[] ids = {1, 2, 3, big, 5, 6, 7, 8, 9};
        TensorDataset d = TensorDataset.ofIds(ids, new int[] {3}, new long[] {0, 1, 0});
        assertEquals(DType.I64, d.featureDType());
        try (Scope s = Scope.open()) {
            Batch b = d.batch(1, 0);
            assertEquals(DType.I64, b.x().dtype());
            assertArrayEquals(new long[] {big, 5, 6, 1, 2, 3}, b.x().toLongArray());
            assertArrayEquals(new long[] {7, 8, 9}, d.get(2).x().toLongArray());
            assertArrayEquals(new long[] {big, 5, 6}, d.reshape(1, 3).get(1).x().reshape(3).toLongArray());
            assertEquals(DType.I64, new Subset(d, new int[] {2, 1}).featureDType());
            TensorDataset fromTensor = new TensorDataset(Tensor.of(ids, 3, 3), Tensor.of(new long[] {0, 1, 0}));
            assertEquals(d.gather(new int[] {0, 1, 2}, 0, 3), fromTensor.gather(new int[] {0, 1, 2}, 0, 3));
            for (boolean prefetch : new boolean[] {false, true}) {
                DataLoader loader = DataLoader.builder(d.reshape(1, 3), 2).shuffle(true).seed(1).prefetch(prefetch).build();
                try (DataLoader.Epoch epoch = loader.epoch()) {
                    Batch first = epoch.next();
                    assertEquals(DType.I64, first.x().dtype());
                    assertArrayEquals(new int[] {2, 1, 3}, first.x().shape());
                }
            }
            String m = assertThrows(IllegalArgumentException.class,
                    () -> DataLoader.builder(d.reshape(1, 1, 3), 2).transform(new RandomHorizontalFlip()).build()).getMessage();
            assertTrue(m.contains("transforms work on F32 images, but the examples are I64 ids"), m);
        }
    }

    @Test
    void rowsOfTheTensorsAreTheExamples() {
        try (Scope s = Scope.open()) {
            // 3 examples of shape [2, 2]: example i holds 4i .. 4i+3.
            Tensor x = Tensor.arange(0, 12, 1, DType.F32).reshape(3, 2, 2);
            TensorDataset d = new TensorDataset(x, Tensor.of(new long[] {5, 6, 7}));
            x.close(); // the data set copied the values
            assertEquals(3, d.size());
            assertArrayEquals(new int[] {2, 2}, d.exampleShape());
            HostBatch b = d.gather(new int[] {9, 2, 0}, 1, 2);
            assertArrayEquals(new float[] {8, 9, 10, 11, 0, 1, 2, 3}, b.features());
            assertArrayEquals(new int[] {2, 2, 2}, b.shape());
            assertArrayEquals(new long[] {7, 5}, b.classes());
            Batch one = d.get(1);
            assertArrayEquals(new int[] {2, 2}, one.x().shape());
            assertEquals(0, one.y().dim());
            assertEquals(6, one.y().itemLong());
            Batch flat = d.reshape(4).batch(0, 2);
            assertArrayEquals(new int[] {2, 4}, flat.x().shape());
            assertArrayEquals(new float[] {0, 1, 2, 3, 8, 9, 10, 11}, flat.x().toFloatArray());
            String m = assertThrows(IndexOutOfBoundsException.class, () -> d.gather(new int[] {0, 3}, 0, 2)).getMessage();
            assertTrue(m.contains("index 3 (at position 1) is outside [0, 3)"), m);
            assertThrows(IllegalArgumentException.class, () -> d.reshape(3));
        }
    }

    @Test
    void floatTargetsKeepTheirShape() {
        try (Scope s = Scope.open()) {
            TensorDataset d = new TensorDataset(Tensor.of(new float[] {1, 2, 3}, 3, 1), Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
            assertEquals(DType.F32, d.labelDType());
            assertArrayEquals(new int[] {2}, d.labelShape());
            Batch b = d.batch(2);
            assertArrayEquals(new int[] {1, 2}, b.y().shape());
            assertArrayEquals(new float[] {5, 6}, b.y().toFloatArray());
            assertArrayEquals(new float[] {3, 4}, d.get(1).y().toFloatArray());
            assertThrows(IllegalArgumentException.class, d::classLabels);
        }
    }

    @Test
    void wrongDtypesAndShapesSayHowToFix() {
        try (Scope s = Scope.open()) {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> new TensorDataset(Tensor.of(new double[] {1, 2}, 2, 1), Tensor.of(new long[] {0, 1}))).getMessage();
            assertTrue(m.contains("features must be F32") && m.contains("to(DType.F32)"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> new TensorDataset(Tensor.of(new float[] {1, 2}, 2, 1), Tensor.of(new long[] {0, 1, 2}))).getMessage();
            assertTrue(m.contains("same N") && m.contains("[2, 1]") && m.contains("[3]"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> new TensorDataset(Tensor.of(new float[] {1, 2}, 2, 1), Tensor.of(new long[] {0, -1}))).getMessage();
            assertTrue(m.contains("class label -1 of example 1"), m);
            assertThrows(IllegalArgumentException.class, () -> TensorDataset.of(new float[5], new int[] {2}, new long[2]));
        }
    }

    @Test
    void labeledDataIsADataset() {
        LabeledData data = new LabeledData(new float[] {1, 2, 3, 4, 5, 6}, new long[] {2, 0, 1}, 3, 2, 3);
        Dataset d = data;
        assertArrayEquals(new int[] {2}, d.exampleShape());
        assertArrayEquals(new long[] {2, 0, 1}, d.classLabels());
        HostBatch b = d.reshape(1, 1, 2).gather(new int[] {2, 0}, 0, 2);
        assertArrayEquals(new int[] {2, 1, 1, 2}, b.shape());
        assertArrayEquals(new float[] {5, 6, 1, 2}, b.features());
        assertArrayEquals(new long[] {1, 2}, b.classes());
    }
}
