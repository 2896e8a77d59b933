package dev.fathom.cuda;

import dev.fathom.cuda.ReduceLayout.Columns;
import dev.fathom.cuda.ReduceLayout.Run;
import dev.fathom.cuda.ReduceLayout.RowsThenColumns;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ReduceLayoutTest {

    private static ReduceLayout layout(int[] shape, long[] strides, int... axes) {
        boolean[] reduced = new boolean[shape.length];
        for (int a : axes) {
            reduced[a] = true;
        }
        return ReduceLayout.of(shape, strides, reduced);
    }

    @Test
    void neighbouringAxesOfOneKindWithNestedStridesAreOneRun() {
        // [B, T, C] over B and T: reduced B·T rows C apart, kept C contiguous.
        assertEquals(List.of(new Run(true, 12, 5), new Run(false, 5, 1)), layout(new int[] {3, 4, 5}, new long[] {20, 5, 1}, 0, 1).runs());
        // Size-1 axes drop out wherever they are; strides that do not nest stay apart.
        assertEquals(List.of(new Run(true, 3, 20), new Run(false, 5, 1)),
                layout(new int[] {3, 1, 5, 1}, new long[] {20, 7, 1, 9}, 0, 1).runs());
        assertEquals(List.of(new Run(true, 3, 1), new Run(true, 4, 3), new Run(false, 5, 12)),
                layout(new int[] {3, 4, 5}, new long[] {1, 3, 12}, 0, 1).runs());
        // Broadcast (stride 0) axes nest with each other.
        assertEquals(List.of(new Run(false, 6, 0), new Run(true, 4, 1)), layout(new int[] {2, 3, 4}, new long[] {0, 0, 1}, 2).runs());
    }

    @Test
    void columnsAreOneReducedRunWithAKeptRunAfterItAndAtMostOneBefore() {
        assertEquals(new Columns(1, 0, 12, 5, 5, 1), layout(new int[] {3, 4, 5}, new long[] {20, 5, 1}, 0, 1).columns());
        assertEquals(new Columns(3, 280, 7, 40, 40, 1), layout(new int[] {3, 7, 40}, new long[] {280, 40, 1}, 1).columns());
        // A transposed view: the kept run after the reduced one need not be contiguous.
        assertEquals(new Columns(1, 0, 4, 1, 6, 4), layout(new int[] {4, 6}, new long[] {1, 4}, 0).columns());
        assertNull(layout(new int[] {4, 6}, new long[] {6, 1}, 1).columns(), "rows, not columns");
        assertNull(layout(new int[] {2, 3, 4, 5}, new long[] {60, 20, 5, 1}, 1, 3).columns(), "two reduced runs");
        assertNull(layout(new int[] {3, 4, 5}, new long[] {1, 3, 12}, 0, 1).columns(), "reduced axes that do not nest");
        assertNull(layout(new int[] {4, 5}, new long[] {5, 1}, 0, 1).columns(), "a full reduction is one row");
    }

    @Test
    void rowsThenColumnsNeedAContiguousInnerRunAndNestedRows() {
        assertEquals(new RowsThenColumns(2, 3, 20, 20), layout(new int[] {2, 3, 4, 5}, new long[] {60, 20, 5, 1}, 0, 2, 3).rowsThenColumns());
        // A batch that is a slice of a larger one: rows (n, c) no longer one stride apart.
        assertNull(layout(new int[] {2, 3, 4, 5}, new long[] {120, 20, 5, 1}, 0, 2, 3).rowsThenColumns());
        // The inner run strided (every other element).
        assertNull(layout(new int[] {2, 3, 4}, new long[] {24, 8, 2}, 0, 2).rowsThenColumns());
        assertNull(layout(new int[] {3, 4, 5}, new long[] {20, 5, 1}, 0, 1).rowsThenColumns(), "columns, not this");
    }
}
