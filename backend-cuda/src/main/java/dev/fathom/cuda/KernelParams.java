package dev.fathom.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The arguments of one kernel launch, in the order of the kernel's parameter list, each with the
 * width the kernel declares ({@code int} is 4 bytes, {@code float*}/{@code long long} 8). The
 * driver packs them into the {@code void**} array {@code cuLaunchKernel} wants; keeping them typed
 * until then lets a fake driver read them and lets error messages print them.
 */
public final class KernelParams {

    /** One argument. */
    public sealed interface Arg permits Ptr, I32, I64, F32, F64, Struct {
    }

    /** A device pointer ({@code T*} in the kernel). */
    public record Ptr(long address) implements Arg {
        @Override
        public String toString() {
            return "0x" + Long.toHexString(address);
        }
    }

    /** An {@code int}. */
    public record I32(int value) implements Arg {
        @Override
        public String toString() {
            return Integer.toString(value);
        }
    }

    /** A {@code long long}. */
    public record I64(long value) implements Arg {
        @Override
        public String toString() {
            return value + "L";
        }
    }

    /** A {@code float}. */
    public record F32(float value) implements Arg {
        @Override
        public String toString() {
            return value + "f";
        }
    }

    /** A {@code double}. */
    public record F64(double value) implements Arg {
        @Override
        public String toString() {
            return value + "d";
        }
    }

    /** A struct passed by value (e.g. a {@link StridedDesc}), as its little-endian bytes. */
    public record Struct(byte[] bytes) implements Arg {
        @Override
        public String toString() {
            return "struct[" + bytes.length + " B]";
        }
    }

    /** Sized for the longest kernel signature, so that building one never regrows the list. */
    private final List<Arg> args = new ArrayList<>(16);

    private KernelParams() {
    }

    /** An empty list to append to. */
    public static KernelParams of() {
        return new KernelParams();
    }

    public KernelParams ptr(long address) {
        args.add(new Ptr(address));
        return this;
    }

    public KernelParams i32(int value) {
        args.add(new I32(value));
        return this;
    }

    public KernelParams i64(long value) {
        args.add(new I64(value));
        return this;
    }

    public KernelParams f32(float value) {
        args.add(new F32(value));
        return this;
    }

    public KernelParams f64(double value) {
        args.add(new F64(value));
        return this;
    }

    /** A by-value struct argument; the bytes are copied. */
    public KernelParams struct(byte[] bytes) {
        args.add(new Struct(bytes.clone()));
        return this;
    }

    /** The arguments in order (a copy). */
    public List<Arg> args() {
        return List.copyOf(args);
    }

    public int size() {
        return args.size();
    }

    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "(", ")");
        args.forEach(a -> j.add(a.toString()));
        return j.toString();
    }
}
