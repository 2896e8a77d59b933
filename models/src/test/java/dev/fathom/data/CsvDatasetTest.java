package dev.fathom.data;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvDatasetTest {

    private static CsvDataset read(String text, CsvDataset.Format format) throws IOException {
        return CsvDataset.read("t.csv", new StringReader(text), format);
    }

    private static String failure(String text, CsvDataset.Format format) {
        return assertThrows(IOException.class, () -> read(text, format)).getMessage();
    }

    private static float[] all(Dataset d) {
        int[] idx = new int[d.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        return d.gather(idx, 0, idx.length).features();
    }

    @Test
    void readsAHeaderAndALabelColumnByName(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("iris.csv");
        Files.writeString(file, "\uFEFFsepal, species ,\"petal \"\"w\"\"\"\n5.1,0,0.2\n\n 4.9 , 2 , \"1e-1\" \r\n-3,1,+7.5\n");
        CsvDataset d = CsvDataset.read(file, CsvDataset.Format.defaults().withLabel("species"));
        assertEquals(3, d.size());
        assertEquals(List.of("sepal", "petal \"w\""), d.featureNames());
        assertEquals("species", d.labelName());
        assertEquals(3, d.numClasses());
        assertArrayEquals(new int[] {2}, d.exampleShape());
        assertEquals(DType.I64, d.labelDType());
        assertArrayEquals(new float[] {5.1f, 0.2f, 4.9f, 0.1f, -3f, 7.5f}, all(d));
        assertArrayEquals(new long[] {0, 2, 1}, d.classLabels());
        try (Scope s = Scope.open()) {
            Batch b = d.batch(2, 0);
            assertArrayEquals(new float[] {-3f, 7.5f, 5.1f, 0.2f}, b.x().toFloatArray());
            assertArrayEquals(new long[] {1, 0}, b.y().toLongArray());
        }
    }

    @Test
    void readsTargetsWithoutHeaderAndOtherDelimiters() throws IOException {
        CsvDataset d = read("1;2;0.5\n3;4;-1.25\n", CsvDataset.Format.defaults().withHeader(false).withDelimiter(';').withTargets());
        assertEquals(List.of("column 1", "column 2"), d.featureNames());
        assertEquals("column 3", d.labelName());
        assertEquals(DType.F32, d.labelDType());
        assertEquals(0, d.numClasses());
        assertArrayEquals(new float[] {1, 2, 3, 4}, all(d));
        assertArrayEquals(new float[] {0.5f, -1.25f}, d.gather(new int[] {0, 1}, 0, 2).targets());
        CsvDataset first = read("7,1,2\n8,3,4\n", CsvDataset.Format.defaults().withHeader(false).withLabel(0));
        assertArrayEquals(new long[] {7, 8}, first.classLabels());
        assertArrayEquals(new float[] {1, 2, 3, 4}, all(first));
    }

    @Test
    void badValuesNameFileLineAndColumn() {
        CsvDataset.Format f = CsvDataset.Format.defaults();
        String m = failure("a,b,label\n1,2,0\n3,x7,1\n", f);
        assertEquals("t.csv:3, column 2 (\"b\"): \"x7\" is not a number", m);
        m = failure("a,b,label\n1,,0\n", f);
        assertTrue(m.startsWith("t.csv:2, column 2 (\"b\"): empty field"), m);
        m = failure("a,b,label\n1,2,0\n1,2\n", f);
        assertEquals("t.csv:3: 2 fields, expected 3 (as on line 1)", m);
        m = failure("a,b,label\n1,2,1.5\n", f);
        assertTrue(m.startsWith("t.csv:2, column 3 (\"label\"): class label \"1.5\" is not a non-negative integer"), m);
        m = failure("a,b,label\n1,2,-1\n", f);
        assertTrue(m.contains("\"-1\" is not a non-negative integer"), m);
        m = failure("a,b,label\n1,NaN,1\n", f);
        assertTrue(m.contains("\"NaN\" is not a number"), m);
        m = failure("a,b,label\n1,2f,1\n", f);
        assertTrue(m.contains("\"2f\" is not a number"), m);
        m = failure("a,b,label\n1,1e39,1\n", f);
        assertTrue(m.contains("column 2") && m.contains("outside the F32 range"), m);
        m = failure("a,b,label\n1,\"2,1\n", f);
        assertTrue(m.startsWith("t.csv:2: column 2: unterminated quoted field"), m);
    }

    @Test
    void badLayoutsAreRejected() {
        CsvDataset.Format f = CsvDataset.Format.defaults();
        assertTrue(failure("", f).contains("t.csv: the file is empty"));
        assertTrue(failure("a,b\n\n", f).contains("t.csv: no data rows after the header on line 1"));
        String m = failure("a,b\n1,2\n", f.withLabel("y"));
        assertTrue(m.contains("no column named \"y\"") && m.contains("[a, b]"), m);
        assertTrue(failure("a,a,b\n1,2,3\n", f.withLabel("a")).contains("two columns \"a\""));
        assertTrue(failure("1,2\n", f.withHeader(false).withLabel("y")).contains("no header"));
        assertTrue(failure("a,b\n1,2\n", f.withLabel(5)).contains("label column index 5 is outside the 2 columns"));
        assertTrue(failure("a\n1\n", f).contains("at least one feature and a label"));
    }
}
