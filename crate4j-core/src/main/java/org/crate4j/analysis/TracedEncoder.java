package org.crate4j.analysis;

import java.util.List;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.LayerTrace;

/**
 * What the white-box measurements need from a model: every layer's intermediates and the patch
 * grid. The CRATE classifier is one such encoder, a CRATE-MAE encoder another, and so is every
 * {@link ImageClassifier}. The last N tokens of every trace are the patches in row-major order;
 * before them stands the class token, in every family whose layers carry one (ToST's do not).
 */
public interface TracedEncoder {
    /**
     * Runs the encoder on (B, C, H, W) images, wherever they are (they are copied to the model's
     * device), and returns one trace per layer, on the model's device.
     */
    List<LayerTrace> trace(Tensor images);

    /** Where the model lives: the traces are there. */
    Device device();

    int patchSize();

    int depth();

    int channels();

    /** The input height the encoder was built for (other sizes work through resized positions). */
    int imageHeight();

    int imageWidth();

    /** An encoder given by its trace function, its sizes and its device (the trace function gets images there). */
    record Traced(Function<Tensor, List<LayerTrace>> tracer, int patchSize, int depth, int channels,
            int imageHeight, int imageWidth, Device device) implements TracedEncoder {
        /** A trace function of a model on the CPU. */
        public Traced(Function<Tensor, List<LayerTrace>> tracer, int patchSize, int depth, int channels, int imageHeight, int imageWidth) {
            this(tracer, patchSize, depth, channels, imageHeight, imageWidth, Device.CPU);
        }

        @Override public List<LayerTrace> trace(Tensor images) { return tracer.apply(Torch.onDevice(images, device)); }
    }

    /** A CRATE classifier's layers (the traces stop before its pooling and head). */
    static TracedEncoder of(Crate model) {
        CrateConfig c = model.config();
        return new Traced(model::trace, c.patchSize(), c.depth(), c.channels(), c.imageHeight(), c.imageWidth(), model.device());
    }

    /** Any classifier family's layers, as {@link ImageClassifier#layerTraces} gives them. */
    static TracedEncoder of(ImageClassifier model) {
        ImageClassifier.Sizes s = model.sizes();
        return new Traced(model::layerTraces, s.patchSize(), s.depth(), s.channels(), s.imageHeight(), s.imageWidth(), model.device());
    }

    /**
     * A CRATE-MAE encoder with nothing masked: every patch enters as itself, with the class token in
     * front and the fixed {@code decoder_pos_embed} added (the reference's encoder input, docs/architecture.md §2);
     * the traces stop before the encoder's final {@code norm}, as the classifier's stop before its head.
     */
    static TracedEncoder of(CrateMae model) {
        MaeConfig c = model.config();
        return new Traced(model::trace, c.patchSize(), c.encoderDepth(), c.channels(), c.imageSize(), c.imageSize(), model.device());
    }

    /** The same encoder with its trace run through {@code tracer} (e.g. inside an autocast scope). */
    default TracedEncoder withTracer(Function<Tensor, List<LayerTrace>> tracer) {
        return new Traced(tracer, patchSize(), depth(), channels(), imageHeight(), imageWidth(), device());
    }

    /** Fails with the valid range when {@code layer} is not a layer index of this encoder. */
    default int checkLayer(int layer) {
        if (layer < 0 || layer >= depth()) {
            throw new org.crate4j.CrateException("layer " + layer + " does not exist: the model has " + depth()
                    + " layers, numbered 0 to " + (depth() - 1));
        }
        return layer;
    }
}
