package dev.fathom.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Helpers for tests that drive {@link CudaKernels} through a {@link FakeDriver}: decoding the
 * {@link StridedDesc} a launch carries, and a few kernel bodies in plain Java (F32 only) so that
 * a fill → map → download sequence has real numbers to check.
 */
final class FakeKernels {
    private FakeKernels() {
    }

    /** A decoded StridedDesc. */
    record Desc(int rank, long offset, long[] sizes, long[] strides) {
        static Desc of(byte[] bytes) {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int rank = b.getInt();
            b.getInt();
            long offset = b.getLong();
            long[] sizes = new long[rank], strides = new long[rank];
            for (int d = 0; d < StridedDesc.MAX_RANK; d++) {
                long v = b.getLong();
                if (d < rank) {
                    sizes[d] = v;
                }
            }
            for (int d = 0; d < StridedDesc.MAX_RANK; d++) {
                long v = b.getLong();
                if (d < rank) {
                    strides[d] = v;
                }
            }
            return new Desc(rank, offset, sizes, strides);
        }

        /** Storage offset of flat row-major index i, as fathom_offset. */
        long at(long i) {
            long off = offset;
            for (int k = rank - 1; k >= 0; k--) {
                off += (i % sizes[k]) * strides[k];
                i /= sizes[k];
            }
            return off;
        }
    }

    static float getF(FakeDriver d, long base, long index) {
        return ByteBuffer.wrap(d.readBytes(base + 4 * index, 4)).order(ByteOrder.LITTLE_ENDIAN).getFloat();
    }

    static void putF(FakeDriver d, long base, long index, float v) {
        d.writeBytes(base + 4 * index, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
    }

    /** fill_f32(dst, desc, n, value). */
    static final FakeDriver.Kernel FILL_F32 = (d, l) -> {
        Desc desc = Desc.of(l.struct(1));
        for (long i = 0; i < l.i64(2); i++) {
            putF(d, l.ptr(0), desc.at(i), (float) l.f64(3));
        }
    };

    /** binary_f32(op, a, ad, b, bd, out, od, n), ADD and MUL only. */
    static final FakeDriver.Kernel BINARY_F32 = (d, l) -> {
        Desc ad = Desc.of(l.struct(2)), bd = Desc.of(l.struct(4)), od = Desc.of(l.struct(6));
        for (long i = 0; i < l.i64(7); i++) {
            float a = getF(d, l.ptr(1), ad.at(i)), b = getF(d, l.ptr(3), bd.at(i));
            putF(d, l.ptr(5), od.at(i), l.i32(0) == 0 ? a + b : a * b);
        }
    };

    /** fill_u8(dst, desc, n, value) on a contiguous run (zeroing the device checks' slots). */
    static final FakeDriver.Kernel FILL_U8 = (d, l) -> d.writeBytes(l.ptr(0), new byte[(int) l.i64(2)]);

    /** A kernel whose last argument is a fault slot ({@link DeviceChecks}): writes 1 there, as the I64 division does. */
    static final FakeDriver.Kernel FAILS = (d, l) -> d.writeBytes(
            ((KernelParams.Ptr) l.args().getLast()).address(), new byte[] {1, 0, 0, 0});

    /** A kernel whose last argument is a fault slot: notes a bad element at {@code position} with {@code value}, as fathom_note_fault. */
    static FakeDriver.Kernel faultAt(long position, int value) {
        long slot = ~(position << 32 | Integer.toUnsignedLong(value));
        return (d, l) -> d.writeBytes(((KernelParams.Ptr) l.args().getLast()).address(),
                java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(slot).array());
    }

    /** copy_i64_i64 (or any 8-byte copy): copy(src, sd, dst, dd, n). */
    static final FakeDriver.Kernel COPY_8 = (d, l) -> {
        Desc sd = Desc.of(l.struct(1)), dd = Desc.of(l.struct(3));
        for (long i = 0; i < l.i64(4); i++) {
            d.writeBytes(l.ptr(2) + 8 * dd.at(i), d.readBytes(l.ptr(0) + 8 * sd.at(i), 8));
        }
    };
}
