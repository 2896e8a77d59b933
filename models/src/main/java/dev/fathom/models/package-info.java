/**
 * The model zoo, each model written once against the tensor API and run on every backend.
 *
 * <p>Today: the Fashion-MNIST classifiers of {@code fathom train} ({@link dev.fathom.models.Zoo}):
 * {@link dev.fathom.models.Mlp}, a multi-layer perceptron, {@link dev.fathom.models.ConvNet}, the
 * reference CNN, and {@link dev.fathom.models.ResNet}, a small residual network; the character-level language
 * models ({@link dev.fathom.models.CharLm}) {@link dev.fathom.models.Gpt} and
 * {@link dev.fathom.models.LstmLM}, with {@link dev.fathom.models.Sampling} to generate text; and the
 * reference DCGAN ({@link dev.fathom.models.Dcgan}: {@link dev.fathom.models.DcganGenerator} and
 * {@link dev.fathom.models.DcganDiscriminator}, with PyTorch's state-dict keys). A model owns its parameters
 * (they live outside every {@link dev.fathom.tensor.Scope} and are released by
 * {@code close()}); {@code forward} creates only temporaries, which the caller's scope releases.
 */
package dev.fathom.models;
