package org.crate4j.analysis;

import java.util.List;

/**
 * The paper's layer-wise measurements over a set of images.
 *
 * @param images  how many images were measured
 * @param epsilon ε of the coding rate
 * @param layers  one entry per layer, in order
 */
public record LayerwiseResult(int images, double epsilon, List<LayerStats> layers) {
    /**
     * @param layer           0-based layer index
     * @param codingRate      R summed over heads, of the layer's subspace projections U
     * @param zeroFraction    fraction of exact zeros in the layer's ISTA output
     * @param nonZeroFraction ‖Z‖₀ / size of the ISTA output (1 − zeroFraction per image)
     */
    public record LayerStats(int layer, MeanStd codingRate, MeanStd zeroFraction, MeanStd nonZeroFraction) {}

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
