/**
 * Tensors on disk: the safetensors format, atomic writes and training checkpoints.
 *
 * <ul>
 *   <li>{@link dev.fathom.io.SafeTensors}: named tensors and string metadata in Hugging Face's
 *       safetensors format, byte-for-byte as its reference implementation writes them, read
 *       strictly: a truncated or corrupt file, or a dtype Fathom lacks, is an
 *       {@link java.io.IOException} naming the file and what was wrong.</li>
 *   <li>{@link dev.fathom.io.AtomicFile}: write to a temporary file in the same directory, force it
 *       to the disk, rename it over the target; a failure at any point leaves the old file.</li>
 *   <li>{@link dev.fathom.io.Checkpoint}: a training run's whole state in one safetensors file, as
 *       named sections of {@link dev.fathom.io.Stateful} (model, optimizer, LR schedule, random
 *       generators) plus scalars (epoch, step), so that a resumed run is bit-identical to one that
 *       never stopped; the data order needs no section, as it is a function of the data seed and the
 *       epoch. {@link dev.fathom.io.Checkpoint#longScalar} reads a number of the metadata, refusing a
 *       corrupt one with the file, key and value.</li>
 *   <li>{@link dev.fathom.io.IoErrors}: NIO's path-only exceptions as sentences naming the file and
 *       the problem ("X does not exist", "X is a directory; pass a .safetensors file such as ...").</li>
 *   <li>{@link dev.fathom.io.Png}: a greyscale PNG encoder on {@code java.base} alone (no AWT).</li>
 * </ul>
 *
 * <p>Contracts: files are little-endian whatever the machine; every write is atomic; loading checks
 * the whole header before creating a tensor; loaded tensors are created in the caller's current
 * {@link dev.fathom.tensor.Scope} on the device asked for. Nothing here is thread-safe.
 *
 * <p>Dependencies: the public API of {@code tensor-api} ({@code dev.fathom.tensor}, {@code nn}),
 * the JDK's NIO, and Jackson for the JSON header. No other Fathom package of {@code models}.
 */
package dev.fathom.io;
