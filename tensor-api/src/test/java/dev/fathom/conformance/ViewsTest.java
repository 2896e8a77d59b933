package dev.fathom.conformance;

import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Movement ops against the reference (values read back through each view), that views really
 * share storage (a write through one is seen through the other), and the copying assemblers
 * cat, stack, chunk and split.
 */
class ViewsTest extends ConformanceTest {

    @BackendTest
    void viewsMatchReference(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(1);
        for (DType dt : new DType[] {DType.F32, DType.I64, DType.BOOL}) {
            for (Layout layout : Layout.values()) {
                Pair p = in.random(new int[] {2, 3, 4}, dt, layout, -9, 9);
                Tensor x = p.tensor();
                Ref r = p.ref();
                String at = " " + layout;
                Check.exact("reshape" + at, x.reshape(4, -1), r.reshape(4, 6), dt);
                Check.exact("reshape to 0-d-free 1-D" + at, x.reshape(-1), r.reshape(24), dt);
                Check.exact("permute" + at, x.permute(2, 0, 1), r.permute(2, 0, 1), dt);
                Check.exact("permute negative dims" + at, x.permute(-1, -3, -2), r.permute(2, 0, 1), dt);
                Check.exact("transpose" + at, x.transpose(0, 2), r.transpose(0, 2), dt);
                Check.exact("transpose(-1, -2)" + at, x.transpose(-1, -2), r.transpose(1, 2), dt);
                Check.exact("t" + at, x.select(0, 1).t(), r.select(0, 1).transpose(0, 1), dt);
                Check.exact("unsqueeze(0)" + at, x.unsqueeze(0), r.unsqueeze(0), dt);
                Check.exact("unsqueeze(-1)" + at, x.unsqueeze(-1), r.unsqueeze(3), dt);
                Check.exact("unsqueeze(1).squeeze()" + at, x.unsqueeze(1).squeeze(), r, dt);
                Check.exact("squeeze(dim) of a non-1 dim is a no-op" + at, x.squeeze(1), r, dt);
                Check.exact("expand" + at, x.select(1, 2).unsqueeze(1).expand(2, 5, 4), r.select(1, 2).unsqueeze(1).broadcastTo(new int[] {2, 5, 4}), dt);
                Check.exact("expand new leading dim, -1 keeps" + at, x.expand(3, -1, -1, 4), r.broadcastTo(new int[] {3, 2, 3, 4}), dt);
                Check.exact("narrow" + at, x.narrow(2, 1, 2), r.narrow(2, 1, 2), dt);
                Check.exact("narrow negative start" + at, x.narrow(1, -2, 2), r.narrow(1, 1, 2), dt);
                Check.exact("slice step 2" + at, x.slice(2, 0, 4, 2), r.slice(2, 0, 4, 2), dt);
                Check.exact("slice step 3 clamped end" + at, x.slice(-1, 1, 100, 3), r.slice(2, 1, 4, 3), dt);
                Check.exact("slice negative bounds" + at, x.slice(1, -2, -1, 1), r.slice(1, 1, 2, 1), dt);
                Check.exact("slice empty" + at, x.slice(1, 2, 1, 1), r.slice(1, 2, 2, 1), dt);
                Check.exact("select" + at, x.select(1, 2), r.select(1, 2), dt);
                Check.exact("select negative index" + at, x.select(2, -1), r.select(2, 3), dt);
                Check.exact("flatten" + at, x.flatten(), r.reshape(24), dt);
                Check.exact("flatten(1, 2)" + at, x.flatten(1, 2), r.reshape(2, 12), dt);
                Check.exact("contiguous" + at, x.contiguous(), r, dt);
                Check.exact("view chain" + at, x.transpose(0, 1).contiguous().view(3, 8), r.transpose(0, 1).reshape(3, 8), dt);
                Check.exact("reshape of a transpose" + at, x.transpose(1, 2).reshape(2, 12), r.transpose(1, 2).reshape(2, 12), dt);
            }
        }
        Tensor s = Tensor.scalar(5.0);
        Check.exact("0-d reshape(1)", s.reshape(1), Ref.of(new int[] {1}, 5), DType.F64);
        Check.exact("0-d unsqueeze", s.unsqueeze(0), Ref.of(new int[] {1}, 5), DType.F64);
        Check.exact("0-d flatten", s.flatten(), Ref.of(new int[] {1}, 5), DType.F64);
        Check.exact("1-element reshape to 0-d", Tensor.of(new double[] {5}, 1, 1).reshape(), Ref.scalar(5), DType.F64);
        Check.exact("t of 1-D", Tensor.of(new double[] {1, 2}, 2).t(), Ref.of(new int[] {2}, 1, 2), DType.F64);
    }

    @BackendTest
    void viewsAreViewsAndCopiesAreCopies(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new double[] {0, 1, 2, 3, 4, 5}, 2, 3);
        for (Tensor v : new Tensor[] {x.reshape(3, 2), x.view(6), x.permute(1, 0), x.t(), x.unsqueeze(0), x.unsqueeze(0).squeeze(0),
                x.select(0, 1).unsqueeze(0).expand(4, 3), x.narrow(1, 1, 2), x.slice(1, 0, 3, 2), x.select(1, 1), x.flatten(), x.contiguous()}) {
            assertTrue(v.sharesStorageWith(x), "a view shares the storage: " + v.describe());
        }
        assertSame(x, x.contiguous(), "contiguous() of a contiguous tensor is the tensor itself");
        assertFalse(x.t().isContiguous());
        Tensor c = x.t().contiguous();
        assertTrue(c.isContiguous());
        assertFalse(c.sharesStorageWith(x), "contiguous() of a transpose copies");
        assertFalse(x.t().reshape(6).sharesStorageWith(x), "reshape that the strides cannot express copies");
        assertThrows(IllegalArgumentException.class, () -> x.t().view(6), "view never copies");
        assertArrayEquals(new long[] {1, 3}, x.t().strides(), "transpose swaps strides");
        assertArrayEquals(new long[] {0, 1}, x.select(0, 1).unsqueeze(0).expand(4, 3).strides(), "expand gives stride 0");
        assertEquals(4, x.narrow(1, 1, 2).select(0, 1).storageOffset(), "narrow and select move the offset");
    }

    @BackendTest
    void writesThroughOneViewAreSeenThroughTheOther(TestBackends.Case backend) {
        use(backend);
        Tensor base = Tensor.of(new double[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4);
        base.narrow(1, 1, 2).fillInPlace(-1);
        Check.exact("fillInPlace through narrow", base, Ref.of(new int[] {3, 4}, 0, -1, -1, 3, 4, -1, -1, 7, 8, -1, -1, 11), DType.F64);

        Tensor t = base.t();
        t.select(0, 3).addInPlace(Tensor.of(new double[] {100, 200, 300}, 3));
        Check.exact("addInPlace through a transposed row", base,
                Ref.of(new int[] {3, 4}, 0, -1, -1, 103, 4, -1, -1, 207, 8, -1, -1, 311), DType.F64);

        base.slice(0, 0, 3, 2).select(1, 0).copyFrom(Tensor.of(new double[] {42, 43}, 2));
        Check.exact("copyFrom through a strided slice", base.select(1, 0), Ref.of(new int[] {3}, 42, 4, 43), DType.F64);
        Check.exact("the reshape sees the writes", base.reshape(12).narrow(0, 0, 4), Ref.of(new int[] {4}, 42, -1, -1, 103), DType.F64);

        Tensor flat = Tensor.zeros(DType.F32, 6);
        Tensor grid = flat.view(2, 3);
        grid.transpose(0, 1).select(0, 2).fillInPlace(7);
        Check.exact("write through view(2, 3).transpose.select seen by the 1-D tensor", flat, Ref.of(new int[] {6}, 0, 0, 7, 0, 0, 7), DType.F32);
    }

    @BackendTest
    void catAndStack(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(2);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64, DType.BOOL}) {
            for (Layout layout : Layout.values()) {
                Pair a = in.random(new int[] {2, 3, 4}, dt, layout, -9, 9);
                Pair b = in.random(new int[] {2, 1, 4}, dt, Layout.CONTIGUOUS, -9, 9);
                Pair c = in.random(new int[] {2, 0, 4}, dt, layout, -9, 9);
                Pair d = in.random(new int[] {2, 5, 4}, dt, Layout.PERMUTED, -9, 9);
                Check.exact("cat dim 1 " + layout, Tensor.cat(1, a.tensor(), b.tensor(), c.tensor(), d.tensor()),
                        Ref.cat(1, a.ref(), b.ref(), c.ref(), d.ref()), dt);
                Check.exact("cat dim -1 " + layout, Tensor.cat(-1, a.tensor(), a.tensor()), Ref.cat(2, a.ref(), a.ref()), dt);
                Check.exact("cat of one", Tensor.cat(0, a.tensor()), a.ref(), dt);
                Pair e = in.random(new int[] {2, 3, 4}, dt, Layout.NARROWED, -9, 9);
                for (int dim = 0; dim <= 3; dim++) {
                    Check.exact("stack dim " + dim + " " + layout, Tensor.stack(dim, a.tensor(), e.tensor()),
                            Ref.cat(dim, a.ref().unsqueeze(dim), e.ref().unsqueeze(dim)), dt);
                }
                Check.exact("stack dim -1", Tensor.stack(-1, a.tensor(), e.tensor()),
                        Ref.cat(3, a.ref().unsqueeze(3), e.ref().unsqueeze(3)), dt);
            }
        }
        Check.exact("stack of 0-d tensors", Tensor.stack(0, Tensor.scalar(1.0), Tensor.scalar(2.0)), Ref.of(new int[] {2}, 1, 2), DType.F64);
    }

    @BackendTest
    void chunkAndSplit(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(3);
        Pair p = in.random(new int[] {7, 4}, DType.F32, Layout.PERMUTED, -9, 9);
        // torch.chunk: parts of ceil(7 / chunks) rows, so chunk(5) gives 4 parts and chunk(9) gives 7.
        int[] chunkCounts = {1, 2, 3, 4, 5, 7, 9};
        int[][] chunkSizes = {{7}, {4, 3}, {3, 3, 1}, {2, 2, 2, 1}, {2, 2, 2, 1}, {1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}};
        for (int c = 0; c < chunkCounts.length; c++) {
            Tensor[] parts = p.tensor().chunk(chunkCounts[c], 0);
            int[] want = chunkSizes[c];
            assertEquals(want.length, parts.length, "chunk(" + chunkCounts[c] + ") of 7 rows: part count (as torch.chunk)");
            int at = 0;
            for (int i = 0; i < parts.length; i++) {
                Check.exact("chunk(" + chunkCounts[c] + ") part " + i, parts[i], p.ref().narrow(0, at, want[i]), DType.F32);
                assertTrue(parts[i].sharesStorageWith(p.tensor()), "chunks are views");
                at += want[i];
            }
        }
        Tensor[] cols = p.tensor().chunk(3, -1);
        assertEquals(2, cols.length, "chunk(3) of 4 columns gives 2 parts of 2 (torch.chunk)");
        Check.exact("chunk on dim -1", cols[1], p.ref().narrow(1, 2, 2), DType.F32);

        Tensor[] split = p.tensor().split(3, 0);
        assertEquals(3, split.length);
        Check.exact("split part 0", split[0], p.ref().narrow(0, 0, 3), DType.F32);
        Check.exact("split last part is smaller", split[2], p.ref().narrow(0, 6, 1), DType.F32);
        Tensor[] whole = p.tensor().split(10, 1);
        assertEquals(1, whole.length);
        Check.exact("split larger than the dim", whole[0], p.ref(), DType.F32);
    }
}
