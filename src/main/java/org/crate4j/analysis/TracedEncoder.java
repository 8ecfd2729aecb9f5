package org.crate4j.analysis;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.LayerTrace;

/**
 * What the white-box measurements need from a model: every layer's intermediates and the patch
 * grid. The CRATE classifier is one such encoder; a CRATE-MAE encoder can be another. Token 0 of
 * every trace must be the class token, tokens 1…N the patches in row-major order.
 */
public interface TracedEncoder {
    /** Runs the encoder on (B, C, H, W) images and returns one trace per layer. */
    List<LayerTrace> trace(Tensor images);

    int patchSize();

    int depth();

    int channels();

    /** The input height the encoder was built for (other sizes work through resized positions). */
    int imageHeight();

    int imageWidth();

    static TracedEncoder of(Crate model) {
        CrateConfig c = model.config();
        return new TracedEncoder() {
            @Override public List<LayerTrace> trace(Tensor images) { return model.trace(images); }
            @Override public int patchSize() { return c.patchSize(); }
            @Override public int depth() { return c.depth(); }
            @Override public int channels() { return c.channels(); }
            @Override public int imageHeight() { return c.imageHeight(); }
            @Override public int imageWidth() { return c.imageWidth(); }
        };
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
