package org.crate4j.model;

import java.util.List;
import java.util.Map;

/**
 * What every classifier family's config fixes of its input and trunk: the first components of
 * {@link CrateConfig}, {@code AlphaConfig}, {@code VitConfig} and {@code TostConfig} alike.
 */
public interface ClassifierShape {
    int imageHeight();

    int imageWidth();

    /** The side of the image square one token covers (the stem's total stride). */
    int patchSize();

    int channels();

    int numClasses();

    /** d, the token width. */
    int dim();

    /** The layers a model's {@link ImageClassifier#layerTraces} returns, one trace each. */
    int depth();

    /** Every tensor's reference key, shape and kind, in the reference's order: what building, loading and counting follow. */
    List<ParameterSpec> parameterSpecs();

    /** Every tensor's key and shape, in the reference's order. */
    default Map<String, long[]> parameterShapes() {
        return ParameterSpec.shapes(parameterSpecs());
    }

    /** The values of every tensor of {@link #parameterSpecs()}. */
    default long parameterCount() {
        return ParameterSpec.count(parameterSpecs());
    }

    /** These sizes in the form the loops and commands read. */
    default ImageClassifier.Sizes sizes() {
        return new ImageClassifier.Sizes(channels(), imageHeight(), imageWidth(), patchSize(), numClasses(), dim(), depth());
    }
}
