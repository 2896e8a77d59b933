package dev.fathom.cuda;

import dev.fathom.cuda.FusedLaunchPlan.SoftmaxKernel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FusedLaunchPlanTest {
    private static final int MAX = LaunchGeometry.MAX_GRID;

    @Test
    void rowBlocksHaveAWarpPerThirtyTwoElementsUpToTheBlockSize() {
        assertEquals(new LaunchGeometry(3, 32), FusedLaunchPlan.rows(3, 1, MAX));
        assertEquals(new LaunchGeometry(5, 32), FusedLaunchPlan.rows(5, 32, MAX));
        assertEquals(new LaunchGeometry(5, 64), FusedLaunchPlan.rows(5, 33, MAX));
        assertEquals(new LaunchGeometry(2, 256), FusedLaunchPlan.rows(2, 255, MAX));
        assertEquals(new LaunchGeometry(2, 256), FusedLaunchPlan.rows(2, 1_000_000, MAX));
        // Empty rows still launch (batch norm writes zero parameter gradients); no rows do not.
        assertEquals(new LaunchGeometry(4, 32), FusedLaunchPlan.rows(4, 0, MAX));
        assertTrue(FusedLaunchPlan.rows(0, 10, MAX).isEmpty());
    }

    @Test
    void gridsAreCappedSoThatBlocksLoop() {
        assertEquals(new LaunchGeometry(MAX, 32), FusedLaunchPlan.rows(10_000_000L, 20, MAX));
        assertEquals(new LaunchGeometry(3, 64), FusedLaunchPlan.rows(70, 45, 3));
        assertEquals(new LaunchGeometry(2, 256), FusedLaunchPlan.columnSums(45, MAX));
        assertEquals(new LaunchGeometry(1, 256), FusedLaunchPlan.columnSums(45, 1));
        assertEquals(new LaunchGeometry(1, 256), FusedLaunchPlan.columnSums(1, MAX));
        assertTrue(FusedLaunchPlan.columnSums(0, MAX).isEmpty());
    }

    @Test
    void softmaxOverTheLastAxisUsesABlockPerRow() {
        FusedLaunchPlan.Softmax p = FusedLaunchPlan.softmax(4096, 1000, 1, MAX);
        assertEquals(SoftmaxKernel.BLOCK, p.kernel());
        assertEquals(new LaunchGeometry(4096, 256), p.geometry());
        assertEquals(new LaunchGeometry(7, 32), FusedLaunchPlan.softmax(7, 10, 1, MAX).geometry());
    }

    @Test
    void softmaxOverAnInnerAxisUsesAThreadPerRowUnlessRowsAreFewAndLong() {
        // Short rows: one thread per row, LaunchGeometry.forElements over the rows.
        FusedLaunchPlan.Softmax p = FusedLaunchPlan.softmax(3, 7, 5, MAX);
        assertEquals(SoftmaxKernel.COL, p.kernel());
        assertEquals(LaunchGeometry.forElements(15), p.geometry());
        // Many long rows: still one thread per row.
        assertEquals(SoftmaxKernel.COL, FusedLaunchPlan.softmax(64, 1000, 32, MAX).kernel());
        assertEquals(LaunchGeometry.forElements(2048, 3), FusedLaunchPlan.softmax(64, 1000, 32, 3).geometry());
        // Few long rows: a block per row walking with stride inner.
        FusedLaunchPlan.Softmax few = FusedLaunchPlan.softmax(2, 600, 3, MAX);
        assertEquals(SoftmaxKernel.BLOCK, few.kernel());
        assertEquals(new LaunchGeometry(6, 256), few.geometry());
    }

    @Test
    void emptySoftmaxLaunchesNothing() {
        assertTrue(FusedLaunchPlan.softmax(0, 5, 1, MAX).geometry().isEmpty());
        assertTrue(FusedLaunchPlan.softmax(5, 0, 1, MAX).geometry().isEmpty());
        assertTrue(FusedLaunchPlan.softmax(5, 3, 0, MAX).geometry().isEmpty());
    }

    @Test
    void badCountsAreRejectedWithTheirName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FusedLaunchPlan.rows(-1, 5, MAX));
        assertTrue(e.getMessage().contains("rows") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FusedLaunchPlan.softmax(1, 5, 1, 0));
        assertTrue(e.getMessage().contains("maxGrid 0"), e.getMessage());
    }

    @Test
    void batchNormSplitsFewLargeChannelsIntoParts() {
        // 64 channels of 128·32·32: 8 parts each, 512 block tasks of 256 threads.
        FusedLaunchPlan.BatchNorm p = FusedLaunchPlan.batchNorm(64, 128 * 32 * 32, MAX);
        assertEquals(8, p.parts());
        assertEquals(new LaunchGeometry(512, 256), p.geometry());
        assertEquals(16 * 64 * 8, p.workspaceBytes(64));
        // 3 channels: as many parts as 4096-element pieces allow, up to 171.
        assertEquals(171, FusedLaunchPlan.batchNorm(3, 10_000_000, MAX).parts());
        assertEquals(2, FusedLaunchPlan.batchNorm(3, 8192, MAX).parts());
        assertEquals(new LaunchGeometry(5, 256), FusedLaunchPlan.batchNorm(3, 8192, 5).geometry());
    }

    @Test
    void batchNormKeepsOneBlockPerChannelWhenChannelsAreManyOrSmall() {
        FusedLaunchPlan.BatchNorm many = FusedLaunchPlan.batchNorm(512, 1_000_000, MAX);
        assertEquals(1, many.parts());
        assertEquals(new LaunchGeometry(512, 256), many.geometry());
        assertEquals(0, many.workspaceBytes(512));
        FusedLaunchPlan.BatchNorm small = FusedLaunchPlan.batchNorm(4, 8191, MAX);
        assertEquals(1, small.parts());
        assertEquals(FusedLaunchPlan.rows(4, 8191, MAX), small.geometry());
        assertEquals(1, FusedLaunchPlan.batchNorm(0, 100_000, MAX).parts());
        assertTrue(FusedLaunchPlan.batchNorm(0, 100_000, MAX).geometry().isEmpty());
        assertEquals(7, FusedLaunchPlan.batchNorm(2, 300, MAX, 40).parts());
        assertThrows(IllegalArgumentException.class, () -> FusedLaunchPlan.batchNorm(2, 300, MAX, 0));
    }
}
