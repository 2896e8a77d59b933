package dev.fathom.cuda;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NativeLaunch} against {@code src/test/cuda/fake_cuda_launch.cpp}, a host-side
 * {@code cuLaunchKernel} built by g++ that copies each parameter's bytes from the pointer table, as
 * the driver does (skipped, with the reason, where there is no g++). Every kind of argument must
 * arrive as the little-endian bytes of its value, in order, with the function, geometry, shared
 * memory and stream where the C signature puts them.
 */
class NativeLaunchTest {
    @TempDir
    static Path dir;
    /** Where the CUDA toolkit's headers are here: the stand-in then checks cuLaunchKernelEx's structs against cuda.h's. */
    private static final Path CUDA_INCLUDE = Path.of("/usr/local/cuda/include");
    private static NativeLaunch launcher;
    private static SymbolLookup lib;
    /** The stand-in built without cuLaunchKernelEx, as an older driver. */
    private static NativeLaunch withoutEx;

    @BeforeAll
    static void build() throws Exception {
        assumeTrue(Emulator.gppAvailable(), "no g++ to build the stand-in libcuda");
        Path library = dir.resolve("libcuda.so.1");
        buildStandIn(library);
        launcher = NativeLaunch.open(library.toString());
        lib = SymbolLookup.libraryLookup(library, Arena.global());
        Path old = dir.resolve("old/libcuda.so.1");
        java.nio.file.Files.createDirectories(old.getParent());
        buildStandIn(old, "-DFAKE_WITHOUT_EX");
        withoutEx = NativeLaunch.open(old.toString());
    }

    private static void buildStandIn(Path library, String... defines) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("g++", "-std=c++20", "-O1", "-fPIC", "-shared"));
        if (java.nio.file.Files.isRegularFile(CUDA_INCLUDE.resolve("cuda.h"))) {
            cmd.add("-I" + CUDA_INCLUDE);
        }
        cmd.addAll(List.of(defines));
        cmd.addAll(List.of("-o", library.toString(), Emulator.EMU_SRC.resolve("fake_cuda_launch.cpp").toString()));
        Emulator.run(cmd, "building fake_cuda_launch.cpp", 120);
    }

    private static MethodHandle fn(String name, FunctionDescriptor d) {
        return Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(), d);
    }

    private static void expectSizes(long... sizes) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            fn("fake_expect_sizes", FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.ADDRESS))
                    .invokeExact(sizes.length, a.allocateFrom(ValueLayout.JAVA_LONG, sizes));
        }
    }

    private static byte[] param(int i, int bytes) throws Throwable {
        MemorySegment p = (MemorySegment) fn("fake_param", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT))
                .invokeExact(i);
        return p.reinterpret(bytes).toArray(ValueLayout.JAVA_BYTE);
    }

    private static byte[] le(int bytes, java.util.function.Consumer<ByteBuffer> put) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        put.accept(b);
        return b.array();
    }

    @Test
    void everyArgumentKindArrivesAsItsBytesInOrder() throws Throwable {
        byte[] desc = new byte[200];
        for (int i = 0; i < desc.length; i++) {
            desc[i] = (byte) (i * 7 + 3);
        }
        KernelParams p = KernelParams.of().i32(-5).ptr(0x7f00_1234_5678L).struct(desc).i64(-1L << 40).f32(1.5f).f64(-2.25)
                .struct(new byte[] {9, 8, 7}).i32(42);
        expectSizes(4, 8, 200, 8, 4, 8, 3, 4);
        int before = (int) fn("fake_launches", FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
        assertEquals(0, launcher.launch(0xF00DL, 3, 2, 1, 256, 1, 1, 4096, 0xABCDL, p));
        assertEquals(before + 1, (int) fn("fake_launches", FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact());

        assertArrayEquals(le(4, b -> b.putInt(-5)), param(0, 4));
        assertArrayEquals(le(8, b -> b.putLong(0x7f00_1234_5678L)), param(1, 8));
        assertArrayEquals(desc, param(2, 200));
        assertArrayEquals(le(8, b -> b.putLong(-1L << 40)), param(3, 8));
        assertArrayEquals(le(4, b -> b.putFloat(1.5f)), param(4, 4));
        assertArrayEquals(le(8, b -> b.putDouble(-2.25)), param(5, 8));
        assertArrayEquals(new byte[] {9, 8, 7}, param(6, 3));
        assertArrayEquals(le(4, b -> b.putInt(42)), param(7, 4));

        expectLastLaunch(0xF00DL, new int[] {3, 2, 1, 256, 1, 1, 4096}, 0xABCDL);
    }

    /** The stand-in's last launch had this function, grid, block and shared memory (in that order), and stream. */
    private static void expectLastLaunch(long function, int[] dims, long stream) throws Throwable {
        MethodHandle dim = fn("fake_last_dim", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        int[] got = new int[7];
        for (int i = 0; i < 7; i++) {
            got[i] = (int) dim.invokeExact(i);
        }
        assertArrayEquals(dims, got, "grid, block, shared memory");
        assertEquals(function, ((MemorySegment) fn("fake_last_function", FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact())
                .address());
        assertEquals(stream, ((MemorySegment) fn("fake_last_stream", FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact())
                .address(), "the stream");
    }

    @Test
    void aLaunchLargerThanTheBlockGrowsItAndTheDriversStatusComesBack() throws Throwable {
        KernelParams p = KernelParams.of();
        long[] sizes = new long[20];
        for (int i = 0; i < 20; i++) {
            byte[] s = new byte[300];
            java.util.Arrays.fill(s, (byte) i);
            p.struct(s);
            sizes[i] = 300;
        }
        expectSizes(sizes);
        assertEquals(0, launcher.launch(1, 1, 1, 1, 32, 1, 1, 0, 0, p), "6 KB of parameters: past the first 4 KB block");
        for (int i = 0; i < 20; i++) {
            byte[] want = new byte[300];
            java.util.Arrays.fill(want, (byte) i);
            assertArrayEquals(want, param(i, 300), "parameter " + i);
        }
        assertEquals(0L, ((MemorySegment) fn("fake_last_stream", FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact())
                .address(), "stream 0 is the default stream");
        expectSizes();
        assertEquals(400, launcher.launch(0, 1, 1, 1, 32, 1, 1, 0, 0, KernelParams.of()), "the stand-in's invalid-handle status");
    }

    @Test
    void aProgrammaticLaunchPassesItsConfigAndTheSerializationAttribute() throws Throwable {
        assertTrue(launcher.hasLaunchEx());
        KernelParams p = KernelParams.of().ptr(0x1234_5678_9abcL).i64(77).i32(-3);
        expectSizes(8, 8, 4);
        int before = (int) fn("fake_ex_launches", FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
        assertEquals(0, launcher.launchProgrammatic(0xBEEFL, 1024, 3, 2, 256, 2, 1, 128, 0x5EA1L, p));
        assertEquals(before + 1, (int) fn("fake_ex_launches", FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact());

        assertEquals(1, (int) fn("fake_last_attr_count", FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact(), "one attribute");
        MethodHandle id = fn("fake_last_attr_id", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        MethodHandle value = fn("fake_last_attr_value", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        assertEquals(NativeLaunch.PROGRAMMATIC_STREAM_SERIALIZATION, (int) id.invokeExact(0), "CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION");
        assertEquals(1, (int) value.invokeExact(0), "programmaticStreamSerializationAllowed");

        expectLastLaunch(0xBEEFL, new int[] {1024, 3, 2, 256, 2, 1, 128}, 0x5EA1L);
        assertArrayEquals(le(8, b -> b.putLong(0x1234_5678_9abcL)), param(0, 8));
        assertArrayEquals(le(8, b -> b.putLong(77)), param(1, 8));
        assertArrayEquals(le(4, b -> b.putInt(-3)), param(2, 4));
        if ((int) fn("fake_has_cuda_h", FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact() == 0) {
            System.out.println("NativeLaunchTest: no cuda.h here; cuLaunchKernelEx's structs checked against the stand-in's copy");
        }
    }

    @Test
    void aDriverWithoutLaunchExSaysSo() {
        assertFalse(withoutEx.hasLaunchEx());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> withoutEx.launchProgrammatic(1, 1, 1, 1, 32, 1, 1, 0, 0, KernelParams.of()));
        assertTrue(e.getMessage().contains("has no cuLaunchKernelEx (CUDA 12.0 or newer has it)"), e.getMessage());
    }

    @Test
    void aLibraryWithoutTheEntryPointNamesIt() {
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, () -> NativeLaunch.open("libfathom-missing-cuda.so.1"));
        assertTrue(e.getMessage().contains("libfathom-missing-cuda.so.1"), e.getMessage());
    }

    @Test
    void itIsTheDefaultJcudaOptsOutAndAnythingElseIsRejected() {
        String old = System.getProperty(NativeLaunch.PROPERTY);
        try {
            System.clearProperty(NativeLaunch.PROPERTY);
            assertTrue(NativeLaunch.requested());
            System.setProperty(NativeLaunch.PROPERTY, "jcuda");
            assertFalse(NativeLaunch.requested());
            System.setProperty(NativeLaunch.PROPERTY, "foreign");
            assertTrue(NativeLaunch.requested());
            System.setProperty(NativeLaunch.PROPERTY, "Foreign ");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, NativeLaunch::requested);
            assertTrue(e.getMessage().contains("-Dfathom.cuda.launch=Foreign  is not a launch path: use foreign"), e.getMessage());
            assertTrue(e.getMessage().contains("or jcuda"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(NativeLaunch.PROPERTY);
            } else {
                System.setProperty(NativeLaunch.PROPERTY, old);
            }
        }
    }
}
