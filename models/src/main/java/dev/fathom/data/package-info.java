/**
 * Data sets, the files they come in, and the pipeline that feeds them to a model in batches.
 *
 * <ul>
 *   <li>{@link dev.fathom.data.Dataset}: the map-style interface (size, example shape, label kind,
 *       {@link dev.fathom.data.Dataset#gather host batches} and tensor batches).
 *       Implementations: {@link dev.fathom.data.TensorDataset} (whole tensors or arrays),
 *       {@link dev.fathom.data.CsvDataset} (a numeric CSV table with a label column),
 *       {@link dev.fathom.data.LabeledData} (classification data in memory),
 *       {@link dev.fathom.data.Subset} (selected indices of another data set).</li>
 *   <li>{@link dev.fathom.data.FashionMnist}: the four Fashion-MNIST files from Debian's
 *       {@code dataset-fashion-mnist} package ({@code /usr/share/datasets/fashion-mnist}) or any
 *       directory that holds them; when they are missing the error says how to get them. Nothing
 *       is downloaded at run time. {@link dev.fathom.data.Idx} reads the IDX format, plain or gzip'd.</li>
 *   <li>{@link dev.fathom.data.CharCorpus}: a character-level text corpus (Debian's {@code fortunes}
 *       for the char-LM workloads), with the reference workloads' vocabulary, 90/10 split and
 *       SplitMix64 training windows.</li>
 *   <li>{@link dev.fathom.data.DataLoader}: batches, seeded shuffle in the PyTorch peers' portable
 *       order ({@link dev.fathom.data.SplitMix64}), drop-last, a prefetch thread, transforms.</li>
 *   <li>{@link dev.fathom.data.Transform}s on image batches {@code [N, C, H, W]}:
 *       {@link dev.fathom.data.Normalize}, {@link dev.fathom.data.RandomCrop},
 *       {@link dev.fathom.data.RandomHorizontalFlip}.</li>
 *   <li>{@link dev.fathom.data.RandomSplit} (train/validation) and {@link dev.fathom.data.KFold}
 *       (plain and stratified cross-validation folds).</li>
 * </ul>
 *
 * <p>Contracts: files are read strictly, and a truncated or corrupt file is an
 * {@link java.io.IOException} naming the file (and, for CSV, the line and column) and what was
 * wrong, never a silently short data set. Data sets are immutable once loaded and hold their
 * values in host memory, so the loader's prefetch thread may read them; tensors are only made on
 * the thread that consumes a batch, on the default device, inside its current
 * {@link dev.fathom.tensor.Scope}. Everything random takes a seed and gives the same result on
 * every run, with or without prefetching.
 *
 * <p>Depends on {@code dev.fathom.tensor} and the JDK only.
 */
package dev.fathom.data;
