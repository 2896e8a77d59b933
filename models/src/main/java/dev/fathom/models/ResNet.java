package dev.fathom.models;

import dev.fathom.nn.AdaptiveAvgPool2d;
import dev.fathom.nn.BatchNorm2d;
import dev.fathom.nn.Conv2d;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.Sequential;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

/**
 * A small residual network (He et al., "Deep Residual Learning for Image Recognition", 2016) for
 * 28×28 grey images: a 3×3 stem to 16 channels, three stages of basic blocks (16, 32 and 64
 * channels, the last two halving the resolution, projection shortcuts where shapes change), global
 * average pooling and a linear classifier. Shapes: {@code (B, 1, 28, 28)} → logits {@code (B, 10)}.
 */
public final class ResNet extends Module {
    private final Conv2d stem;
    private final BatchNorm2d stemNorm;
    private final Sequential stages;
    private final AdaptiveAvgPool2d pool;
    private final Linear head;

    public ResNet() {
        this(Generator.global());
    }

    /** Initialized from {@code generator} instead of the global one (reproducible whatever other threads draw). */
    public ResNet(Generator generator) {
        java.util.Objects.requireNonNull(generator, "ResNet: generator is null (use Generator.global())");
        // No bias: the batch norm after it subtracts any constant (its gradient is 0 but for rounding), as in the blocks.
        stem = child("stem", new Conv2d(1, 16, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1, false, generator));
        stemNorm = child("stem_bn", new BatchNorm2d(16));
        stages = child("stages", new Sequential(new BasicBlock(16, 16, 1, generator), new BasicBlock(16, 32, 2, generator),
                new BasicBlock(32, 64, 2, generator)));
        pool = child("pool", new AdaptiveAvgPool2d(1));
        head = child("fc", new Linear(64, 10, true, generator));
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() != 4 || x.size(1) != 1) {
            throw new IllegalArgumentException("ResNet.forward: expected images [B, 1, H, W], got " + Shape.format(x.shape()));
        }
        Tensor h = stemNorm.forward(stem.forward(x)).relu();
        h = pool.forward(stages.forward(h));
        return head.forward(h.flatten(1, -1));
    }

    @Override
    public String toString() {
        return "ResNet(stem16, blocks 16-32-64, avgpool, fc10)";
    }

    /** conv3×3(stride) → BN → ReLU → conv3×3 → BN, plus the shortcut (1×1 conv + BN when the shape changes), then ReLU. */
    static final class BasicBlock extends Module {
        private final Conv2d conv1;
        private final BatchNorm2d bn1;
        private final Conv2d conv2;
        private final BatchNorm2d bn2;
        private final Conv2d shortcut;
        private final BatchNorm2d shortcutNorm;

        BasicBlock(int in, int out, int stride, Generator generator) {
            conv1 = child("conv1", new Conv2d(in, out, new int[] {3, 3}, new int[] {stride, stride}, new int[] {1, 1}, new int[] {1, 1}, 1, false,
                    generator));
            bn1 = child("bn1", new BatchNorm2d(out));
            conv2 = child("conv2", new Conv2d(out, out, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1, false, generator));
            bn2 = child("bn2", new BatchNorm2d(out));
            boolean project = stride != 1 || in != out;
            shortcut = project ? child("downsample", new Conv2d(in, out, new int[] {1, 1}, new int[] {stride, stride}, new int[] {0, 0},
                    new int[] {1, 1}, 1, false, generator)) : null;
            shortcutNorm = project ? child("downsample_bn", new BatchNorm2d(out)) : null;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = bn1.forward(conv1.forward(x)).relu();
            h = bn2.forward(conv2.forward(h));
            Tensor skip = shortcut == null ? x : shortcutNorm.forward(shortcut.forward(x));
            return h.add(skip).relu();
        }
    }
}
