/**
 * Data sets and the files they come in.
 *
 * <ul>
 *   <li>{@link dev.fathom.data.Idx}: the IDX format of (Fashion-)MNIST, plain or gzip'd, read
 *       strictly: a truncated or corrupt file is an {@link java.io.IOException} naming the file
 *       and what was wrong, never a silently short data set.</li>
 *   <li>{@link dev.fathom.data.LabeledData}: features and class labels in host memory, cut into
 *       {@link dev.fathom.data.LabeledData.Batch batches} of tensors on demand.</li>
 *   <li>{@link dev.fathom.data.FashionMnist}: the four Fashion-MNIST files from Debian's
 *       {@code dataset-fashion-mnist} package ({@code /usr/share/datasets/fashion-mnist}) or any
 *       directory that holds them. Nothing is downloaded at run time.</li>
 * </ul>
 *
 * <p>Data sets are immutable once loaded and may be shared between threads; the tensors of a
 * batch are created on the default device, inside the caller's current scope.
 */
package dev.fathom.data;
