/**
 * What a backend implements; interfaces and the op table only.
 *
 * <p>{@link dev.fathom.spi.Backend} is the service ({@code META-INF/services/dev.fathom.spi.Backend}):
 * a trivial constructor, {@code availability()} that probes once and never throws, and
 * {@link dev.fathom.spi.Kernels} per device, created on first use. Kernels work on
 * {@link dev.fathom.spi.Strided} operands (a {@link dev.fathom.spi.Buffer} seen through shape,
 * strides and offset); the op kinds are the enums {@link dev.fathom.spi.UnaryOp},
 * {@link dev.fathom.spi.BinaryOp}, {@link dev.fathom.spi.ReduceOp} and
 * {@link dev.fathom.spi.RandomOp} under the sealed {@link dev.fathom.spi.Op}. Random streams are
 * defined per element on {@link dev.fathom.spi.Philox}, so all backends agree bit for bit.
 * Convolution and pooling kernels take their shapes as one record,
 * {@link dev.fathom.spi.Conv2dGeometry} or {@link dev.fathom.spi.Pool2dGeometry}, computed and
 * validated once by the tensor layer; they have default implementations that throw
 * {@code UnsupportedOperationException} naming the kernel, so a backend can add them one by one.
 * The fused kernels (softmax, layer and batch norm, the SGD and Adam updates, with
 * {@link dev.fathom.spi.SgdUpdate} and {@link dev.fathom.spi.AdamUpdate}; attention, with
 * {@link dev.fathom.spi.AttentionGeometry}; the ReLU and GELU gradients,
 * {@link dev.fathom.spi.UnaryOp#FUSED_GRADIENT}) are optional the same way:
 * where one throws, the tensor layer runs the composite that defines it. Data checks
 * ({@link dev.fathom.spi.Kernels#checkRange}: class targets, ids, probabilities) default to a
 * download and a host loop; a device that can check where the data lives overrides them, and may
 * report a bad value at its next wait rather than at the call.
 *
 * <p>Selection: backends are ordered by {@code priority()} (CUDA 100, CPU 0; a negative priority
 * marks a test backend, such as backend-cuda's emulated {@code cuda-emu}, which runs only when named).
 * {@code Device.auto()} takes the first available one of priority >= 0 and logs once why it skipped others;
 * {@code Device.cuda()} throws with the CUDA backend's reason; the CPU is always there as long as
 * the JVM runs with {@code --add-modules jdk.incubator.vector}. Nothing here assumes the host can
 * read a buffer without {@code download}, which waits for the device.
 */
package dev.fathom.spi;
