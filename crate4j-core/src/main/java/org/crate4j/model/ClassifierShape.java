package org.crate4j.model;

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

    /** These sizes in the form the loops and commands read. */
    default ImageClassifier.Sizes sizes() {
        return new ImageClassifier.Sizes(channels(), imageHeight(), imageWidth(), patchSize(), numClasses(), dim(), depth());
    }
}
