/**
 * Training loops: {@link dev.fathom.train.ClassifierTrainer} fits a classifier with
 * softmax cross-entropy ({@link dev.fathom.train.Losses}) and Adam, one
 * {@link dev.fathom.tensor.Scope} per step, and reports each epoch as an
 * {@link dev.fathom.train.EpochReport}.
 *
 * <p>Contracts: a run is reproducible from its {@link dev.fathom.train.TrainConfig} (the seed
 * fixes the shuffles; the model's generator fixes the initial weights); a loss that is NaN or
 * infinite stops the run with {@link dev.fathom.train.TrainingDivergedException} naming the
 * step, rather than training on garbage.
 *
 * <p>GANs: {@link dev.fathom.train.GanStep} (one discriminator and one generator update, as the
 * reference DCGAN), {@link dev.fathom.train.GanTraining} (the DCGAN run: metrics, sample grids
 * drawn by {@link dev.fathom.train.SampleGrid}, {@link dev.fathom.train.GanCheckpoint}). Nothing a step creates outlives it, except the
 * parameters' gradients (owned by the parameters) and the optimizer state.
 *
 * <p>Character-level language models train by steps rather than epochs:
 * {@link dev.fathom.train.CharLmTraining} (the reference char-LM workloads' loop, validation on
 * fixed batches), {@link dev.fathom.train.CharLmCheckpoint} (weights plus the vocabulary, so that
 * sampling needs no corpus) and {@link dev.fathom.train.CharLmParity} (the same GPT steps on
 * every backend).
 */
package dev.fathom.train;
