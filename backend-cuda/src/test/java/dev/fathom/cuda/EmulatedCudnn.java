package dev.fathom.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * The emulated driver with the {@link ReferenceCudnn} as its cuDNN, so that the conformance suite
 * can run the whole cuDNN path (the tensor layer's calls, {@link CudnnOps}' mapping, declines and
 * caches) without a GPU: {@code -Dfathom.cuda.emu.cudnn=true} makes {@link EmulatedCudaBackend}
 * open its device with it and with the cuDNN plan, e.g.
 * {@code mvn -pl backend-cuda -am verify -Dfathom.cuda.emu.cudnn=true -Dfathom.test.backends=cuda-emu
 * -Dtest='ConvolutionTest,NnBatchNormTest'}.
 *
 * <p>Emulated device pointers are real native addresses and its streams are synchronous, so the
 * reference reads and writes memory directly and runs each call at once.
 */
final class EmulatedCudnn {
    /** Set to {@code true} to route the emulated device's convolution and batch norm through the reference cuDNN. */
    static final String PROPERTY = "fathom.cuda.emu.cudnn";

    /** All of the address space: emulated device pointers are native addresses. */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private EmulatedCudnn() {
    }

    static boolean enabled() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** {@code driver} answering the {@code cudnn*} calls with a fresh {@link ReferenceCudnn}. */
    static CudaDriver wrap(CudaDriver driver) {
        ReferenceCudnn reference = new ReferenceCudnn(new ReferenceCudnn.Host() {
            @Override
            public double get(long address, boolean f64) {
                return f64 ? ALL.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, address) : ALL.get(ValueLayout.JAVA_FLOAT_UNALIGNED, address);
            }

            @Override
            public void put(long address, boolean f64, double value) {
                if (f64) {
                    ALL.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, address, value);
                } else {
                    ALL.set(ValueLayout.JAVA_FLOAT_UNALIGNED, address, (float) value);
                }
            }

            @Override
            public void touch(long address, long bytes) {
                // The allocator's block: the emulated driver's guard zones watch kernels, not Java.
            }

            @Override
            public void enqueue(long stream, String label, Runnable work) {
                work.run();
            }

            @Override
            public void count(String call) {
            }
        });
        return (CudaDriver) Proxy.newProxyInstance(CudaDriver.class.getClassLoader(), new Class<?>[] {CudaDriver.class},
                (proxy, method, args) -> {
                    boolean cudnn = method.getName().startsWith("cudnn") && method.getDeclaringClass() == CudaDriver.class;
                    Object target = cudnn ? reference : driver;
                    Method impl = cudnn ? ReferenceCudnn.class.getMethod(method.getName(), method.getParameterTypes()) : method;
                    try {
                        return impl.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
