package dev.fathom.cli;

import dev.fathom.models.Dcgan;
import dev.fathom.models.Zoo;
import dev.fathom.train.CharLmCheckpoint;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which command reads which checkpoint: {@code fathom eval} and {@code sample --judge} take the
 * Fashion-MNIST classifiers of {@code fathom train mlp|cnn|resnet}; {@code fathom sample} takes
 * char-LMs ({@code --prompt}) and DCGANs ({@code --grid}). A checkpoint of the wrong kind is refused
 * before anything is read or written, naming the file, what it holds and the command that reads it.
 */
final class CheckpointKind {
    private CheckpointKind() {
    }

    /**
     * The zoo classifier that {@code file} (metadata {@code meta}, from {@code Checkpoint.peek})
     * holds; else throws IllegalArgumentException ending with {@code use}, what the caller takes.
     */
    static Zoo classifier(Path file, Map<String, String> meta, String use) {
        String name = meta.get("model");
        String ids = Arrays.stream(Zoo.values()).map(Zoo::id).collect(Collectors.joining("|"));
        String holds;
        if (name == null) {
            holds = "it was not written by `fathom train` (no \"model\" entry in its metadata)";
        } else if (name.equals(CharLmCheckpoint.MODEL)) {
            holds = "it holds a char-LM (model \"" + name + "\"), which `fathom sample " + file + " --prompt TEXT` reads";
        } else if (name.equals(Dcgan.ID)) {
            holds = "it holds a DCGAN (model \"" + name + "\"), which `fathom sample " + file + " --grid OUT.png` reads";
        } else if (Arrays.stream(Zoo.values()).noneMatch(z -> z.id().equals(name))) {
            holds = "it holds a \"" + name + "\" model, which this version of Fathom does not know";
        } else {
            return Zoo.byId(name);
        }
        throw new IllegalArgumentException(file + " is not a Fashion-MNIST classifier: " + holds + "; " + use + " a checkpoint of `fathom train "
                + ids + "`");
    }
}
