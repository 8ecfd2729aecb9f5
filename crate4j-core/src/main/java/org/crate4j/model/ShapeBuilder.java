package org.crate4j.model;

/**
 * The part of a classifier config's builder every family shares ({@link ClassifierShape}'s
 * sizes and the heads), with the same defaults: a base-size model (d 768, 12 layers of 12 heads)
 * on ImageNet-1k at 224×224, patch 16, RGB. {@code B} is the family's builder, so that its own
 * setters chain after these.
 */
public abstract class ShapeBuilder<B extends ShapeBuilder<B>> {
    protected int imageHeight = 224, imageWidth = 224, patchSize = 16, channels = 3, numClasses = 1000;
    protected int dim = 768, depth = 12, heads = 12;

    protected ShapeBuilder() {}

    public B image(int height, int width) { imageHeight = height; imageWidth = width; return self(); }
    public B imageSize(int side) { return image(side, side); }
    public B patchSize(int p) { patchSize = p; return self(); }
    public B channels(int c) { channels = c; return self(); }
    public B classes(int n) { numClasses = n; return self(); }
    public B dim(int d) { dim = d; return self(); }
    public B depth(int l) { depth = l; return self(); }
    public B heads(int h) { heads = h; return self(); }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
