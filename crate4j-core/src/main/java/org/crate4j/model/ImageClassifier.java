package org.crate4j.model;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.engine.Device;

/**
 * What every image-classifier family (CRATE, CRATE-α, ViT, ToST) offers the loops, the commands
 * and the analysis: logits, the features the head reads, its tensors with their kinds, its sizes,
 * its device, saving, and every layer's intermediates. {@code org.crate4j.zoo.Zoo} builds and loads
 * them by name; {@code TracedEncoder.of(ImageClassifier)} is the analysis' view of one.
 */
public interface ImageClassifier {
    /**
     * The sizes a loop or a command needs without knowing the family.
     *
     * @param patchSize the side of the image square one token covers (the stem's total stride)
     * @param depth     the layers {@link #layerTraces} returns, one trace each
     */
    record Sizes(int channels, int imageHeight, int imageWidth, int patchSize, int numClasses, int dim, int depth) {}

    /** "CRATE", "CRATE-α", "ViT", "ToST": for messages. */
    String familyName();

    Sizes sizes();

    /** Logits (B, classes) for images (B, C, H, W) on {@link #device()}. */
    Tensor forward(Tensor images);

    /** The (B, d) vector the head reads (pooled, and normalised where the family normalises it). */
    Tensor features(Tensor images);

    /** Training mode (dropout, BatchNorm's batch statistics) on or off. */
    ImageClassifier train(boolean on);

    boolean isTraining();

    /** The trainable tensors by reference key: what an optimizer updates. */
    Parameters parameters();

    /** The kind of every tensor of {@link #stateDict()}, by key: initialisation and weight decay follow it. */
    Map<String, ParameterKind> kinds();

    /**
     * Every tensor a checkpoint must hold to continue exactly, by reference key: the trainable
     * ones and any state the forward updates (BatchNorm's running statistics).
     */
    default Map<String, Tensor> stateDict() {
        return parameters().asMap();
    }

    Device device();

    /** Moves every tensor to {@code target} in place (before an optimizer is made for them). */
    ImageClassifier to(Device target);

    /** Our safetensors' {@code format} metadata tag for this family. */
    String format();

    /** The architecture as the JSON our metadata holds under {@code config}. */
    String configJson();

    /** Whether {@code json} (our metadata's {@code config}) describes this model's architecture. */
    default boolean sameConfig(String json) {
        return configJson().equals(json);
    }

    /** Writes our safetensors: {@link #stateDict()}, the format and config, and {@code metadata}. Atomic. */
    void save(Path path, Map<String, String> metadata);

    /**
     * Runs the model and returns one trace per layer in the shared form the analysis reads: token
     * 0 is the class token when the layers carry one, the last N tokens are the patches in
     * row-major order (see {@link LayerTrace}).
     */
    List<LayerTrace> layerTraces(Tensor images);

    /**
     * Whether a training forward treats its rows independently and draws nothing at random (no
     * dropout, no patch dropout, no batch statistics): then a batch may be cut into row shards
     * whose gradients, summed, are the batch's ({@link org.crate4j.engine.ThreadShards}). False
     * unless a family says so.
     */
    default boolean rowsIndependentInTraining() {
        return false;
    }

    /** PatchDropout's rate (see {@link Crate#patchDropout(double)}); 0 in families that do not drop patches. */
    default double patchDropout() {
        return 0;
    }

    /** Sets PatchDropout's rate; families without it accept only 0. */
    default ImageClassifier patchDropout(double rate) {
        if (rate != 0) {
            throw new CrateException("--patch-dropout is implemented for CRATE models only, not " + familyName());
        }
        return this;
    }

    /** The kinds of specs, by name, in their order. */
    static Map<String, ParameterKind> kindsOf(List<ParameterSpec> specs) {
        Map<String, ParameterKind> out = new LinkedHashMap<>();
        for (ParameterSpec s : specs) {
            out.put(s.name(), s.kind());
        }
        return out;
    }
}
