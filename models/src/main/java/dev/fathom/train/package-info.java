/**
 * Training loops and what they write. {@link dev.fathom.train.Trainer} fits a model by epochs with
 * one {@link dev.fathom.tensor.Scope} per step, validates, and reports each epoch
 * ({@link dev.fathom.train.EpochEnd}) to its {@link dev.fathom.train.Callback}s
 * ({@link dev.fathom.train.EarlyStopping}, {@link dev.fathom.train.SaveCheckpoints});
 * {@link dev.fathom.train.MetricsLog} writes {@code metrics.jsonl}, {@link dev.fathom.train.LearningCurves}
 * draws {@code learning_curves.png} (through {@code LearningCurvePlot}, the one class here that needs
 * {@code java.desktop}; without it a run trains and says once that it drew nothing),
 * {@link dev.fathom.train.TrainingCheckpoint} saves and resumes a
 * run (model, optimizer, schedule, generators), and {@link dev.fathom.train.Parity} runs the same
 * seeded steps on every usable device.
 *
 * <p>Contracts: a run is reproducible from its seed (the seed fixes the initial weights, the
 * dropout masks and the shuffles); a loss that is NaN or infinite stops the run with
 * {@link dev.fathom.train.TrainingDivergedException} naming the step and the loss, rather than
 * training on garbage; checkpoints, sample grids and plots are replaced atomically, and
 * {@code metrics.jsonl} is appended and flushed row by row (a crash can cut only its last line), so
 * a failed run leaves no partial file; nothing is created before the first logged row, so a run
 * that fails before it leaves no run directory at all.
 *
 * <p>GANs: {@link dev.fathom.train.GanStep} (one discriminator and one generator update, as the
 * reference DCGAN), {@link dev.fathom.train.GanTraining} (the DCGAN run: metrics, sample grids
 * drawn by {@link dev.fathom.train.SampleGrid}, {@link dev.fathom.train.GanCheckpoint}) and
 * {@link dev.fathom.train.DcganParity} (the same DCGAN steps on every backend, D and G losses
 * compared). Nothing a step creates outlives it, except the parameters' gradients (owned by the
 * parameters) and the optimizer state.
 *
 * <p>Character-level language models train by steps rather than epochs:
 * {@link dev.fathom.train.CharLmTraining} (the reference char-LM workloads' loop, validation on
 * fixed batches), {@link dev.fathom.train.CharLmCheckpoint} (weights plus the vocabulary, so that
 * sampling needs no corpus) and {@link dev.fathom.train.CharLmParity} (the same GPT or LSTM
 * steps on every backend).
 */
package dev.fathom.train;
