package org.crate4j.analysis;

import java.util.ArrayList;
import java.util.List;

/**
 * The paper's layer-wise measurements over a set of images, and optionally the incoherence of each
 * layer's weights.
 *
 * @param images  how many images were measured
 * @param epsilon ε of the coding rate
 * @param layers  one entry per layer, in order
 */
public record LayerwiseResult(int images, double epsilon, List<LayerStats> layers) {
    /**
     * @param layer               0-based layer index
     * @param codingRate          R summed over heads, of the layer's subspace projections U
     * @param zeroFraction        fraction of exact zeros in the layer's ISTA output
     * @param nonZeroFraction     ‖Z‖₀ / size of the ISTA output (1 − zeroFraction per image)
     * @param subspaceCoherence   from the weights: max over pairs of heads of the cosine of the smallest principal
     *                            angle between their subspaces ({@link Incoherence}); null with one head or when
     *                            the weights were not measured
     * @param coherentHeads       the pair of heads attaining it
     * @param dictionaryCoherence from the weights: ‖DᵀD − I‖_F / ‖I‖_F of the layer's dictionary; null when not measured
     */
    public record LayerStats(int layer, MeanStd codingRate, MeanStd zeroFraction, MeanStd nonZeroFraction,
            Double subspaceCoherence, int[] coherentHeads, Double dictionaryCoherence) {
        public LayerStats(int layer, MeanStd codingRate, MeanStd zeroFraction, MeanStd nonZeroFraction) {
            this(layer, codingRate, zeroFraction, nonZeroFraction, null, null, null);
        }
    }

    /** The same measurements with each layer's incoherence figures (one per layer, in order; none: unchanged) added. */
    public LayerwiseResult withIncoherence(List<Incoherence.Layer> weights) {
        if (weights.isEmpty()) {
            return this;
        }
        if (weights.size() != layers.size()) {
            throw new IllegalArgumentException("expected incoherence of " + layers.size() + " layers, got " + weights.size());
        }
        List<LayerStats> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            LayerStats s = layers.get(i);
            Incoherence.Layer w = weights.get(i);
            out.add(new LayerStats(s.layer(), s.codingRate(), s.zeroFraction(), s.nonZeroFraction(), w.subspaces(), w.heads(),
                    w.dictionary()));
        }
        return new LayerwiseResult(images, epsilon, List.copyOf(out));
    }

    public double[] layerIndices() {
        return layers.stream().mapToDouble(LayerStats::layer).toArray();
    }

    public double[] codingRateMeans() {
        return layers.stream().mapToDouble(s -> s.codingRate().mean()).toArray();
    }

    public double[] codingRateStds() {
        return layers.stream().mapToDouble(s -> s.codingRate().std()).toArray();
    }

    public double[] nonZeroMeans() {
        return layers.stream().mapToDouble(s -> s.nonZeroFraction().mean()).toArray();
    }

    public double[] nonZeroStds() {
        return layers.stream().mapToDouble(s -> s.nonZeroFraction().std()).toArray();
    }
}
