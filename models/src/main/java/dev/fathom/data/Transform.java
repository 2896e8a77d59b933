package dev.fathom.data;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A transform of a batch of images {@code [N, C, H, W]} in host memory (torchvision's transforms,
 * applied per batch). A {@link DataLoader} runs it on its prefetch thread, with a random stream
 * derived from the loader's seed, the epoch and the batch index, so the result never depends on
 * timing or on whether prefetching is on.
 *
 * <p>Contract: never modify the input; return new images. Draw random numbers only from the
 * given stream, in image order, so that a seed fixes the output.
 */
@FunctionalInterface
public interface Transform {

    /**
     * A batch of images in host memory, row-major {@code [n, channels, height, width]}.
     */
    record Images(float[] data, int n, int channels, int height, int width) {
        public Images {
            Objects.requireNonNull(data, "Transform: data is null");
            if (n < 0 || channels < 1 || height < 1 || width < 1 || data.length != (long) n * channels * height * width) {
                throw new IllegalArgumentException("Transform.Images: " + data.length + " values do not fill [" + n + ", " + channels + ", "
                        + height + ", " + width + "]");
            }
        }

        /** Wraps features of shape {@code [N, C, H, W]}. */
        public static Images of(float[] data, int[] shape) {
            if (shape.length != 4) {
                throw new IllegalArgumentException("Transform: images must be [N, C, H, W], got " + Arrays.toString(shape)
                        + "; reshape the data set, e.g. dataset.reshape(1, 28, 28)");
            }
            return new Images(data, shape[0], shape[1], shape[2], shape[3]);
        }

        public int[] shape() {
            return new int[] {n, channels, height, width};
        }
    }

    /** Returns the transformed batch, drawing randomness (if any) from {@code random}. */
    Images apply(Images images, SplittableRandom random);

    /** This transform, then {@code next} (torchvision's {@code Compose}). */
    default Transform andThen(Transform next) {
        Objects.requireNonNull(next, "Transform: next is null");
        return (images, random) -> next.apply(apply(images, random), random);
    }

    /** The transforms in order, as one. */
    static Transform compose(Transform... transforms) {
        Transform all = (images, random) -> images;
        for (Transform t : transforms) {
            all = all.andThen(t);
        }
        return all;
    }

    /**
     * Applies this transform to an F32 tensor {@code [N, C, H, W]} with a stream seeded by {@code seed}
     * and returns a new tensor (in the current scope); for use outside a {@link DataLoader}.
     */
    default Tensor apply(Tensor images, long seed) {
        if (images.dtype() != DType.F32 || images.dim() != 4) {
            throw new IllegalArgumentException("Transform.apply: need F32 images [N, C, H, W], got " + images.describe());
        }
        Images out = apply(Images.of(images.toFloatArray(), images.shape()), new SplittableRandom(seed));
        return Tensor.of(out.data(), out.shape());
    }
}
