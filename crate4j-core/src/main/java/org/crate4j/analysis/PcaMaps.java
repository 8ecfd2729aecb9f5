package org.crate4j.analysis;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * One image's share of a pooled {@link FeaturePca}, as plain arrays on the patch grid: the patches'
 * coordinates along the principal components (component 1 with the foreground sign convention of
 * {@link FeaturePca}, then components 2–4) and the foreground mask (component 1 min-max scaled over
 * the image, above ½). The variances describe the pooled fit, the same for every image of it.
 *
 * @param pooledImages           how many images the PCA was fitted on together
 * @param explainedVariance      variance along each component (divisor M − 1)
 * @param explainedVarianceRatio each component's share of the total variance
 * @param components             [component][patch], unscaled projections
 * @param foreground             [patch]
 */
public record PcaMaps(int layer, int gridHeight, int gridWidth, int pooledImages, double[] explainedVariance,
        double[] explainedVarianceRatio, float[][] components, boolean[] foreground) implements OnPatchGrid {

    /** One PCA of the key features at {@code layer} pooled over all images ((1, C, H, W) each, one size), split per image. */
    public static List<PcaMaps> of(TracedEncoder encoder, List<Tensor> images, int layer) {
        encoder.checkLayer(layer);
        if (images.isEmpty()) {
            throw new IllegalArgumentException("PCA needs at least one image");
        }
        int p = encoder.patchSize();
        int gh = (int) images.get(0).size(2) / p, gw = (int) images.get(0).size(3) / p;
        FeaturePca.Result r;
        try (PointerScope scope = new PointerScope()) {
            TensorVector features = new TensorVector();
            for (Tensor image : images) {
                features.push_back(FeaturePca.keyFeatures(encoder, image, layer));
            }
            r = FeaturePca.fit(torch.cat(features, 0), gh, gw, FeaturePca.COMPONENTS);
        }
        return split(r, layer);
    }

    /** Every image of a fit. */
    public static List<PcaMaps> split(FeaturePca.Result r, int layer) {
        List<PcaMaps> out = new ArrayList<>();
        for (int b = 0; b < r.images(); b++) {
            float[][] components = new float[r.components()][];
            for (int c = 0; c < components.length; c++) {
                components[c] = r.component(b, c);
            }
            out.add(new PcaMaps(layer, r.gridHeight(), r.gridWidth(), r.images(), r.explainedVariance(),
                    r.explainedVarianceRatio(), components, r.foreground(b)));
        }
        return out;
    }

    /** Component c min-max scaled to [0, 1] over this image's patches (what the foreground threshold reads). */
    public float[] scaled(int c) {
        return FeaturePca.minMax(components[c]);
    }

    /** Components 2–4, each scaled over the image, as (gh, gw, 3) RGB in [0, 1]; black where a component is missing. */
    public float[] rgb() {
        return FeaturePca.rgb(this::scaled, components.length, patches());
    }
}
