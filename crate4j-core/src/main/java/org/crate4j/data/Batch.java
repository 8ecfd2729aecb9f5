package org.crate4j.data;

/**
 * One collated batch: {@code images} is NCHW of length size*channels*height*width.
 * {@code dataWaitNanos} is how long the consumer blocked waiting for it (input-pipeline stall).
 * {@code indices} are the dataset entries the samples were drawn for (what per-image draws such as
 * fixed masks are a function of; null for batches not made by a {@link DataLoader}).
 */
public record Batch(float[] images, int[] labels, int size, int channels, int height, int width, long dataWaitNanos, int[] indices) {
    public Batch(float[] images, int[] labels, int size, int channels, int height, int width, long dataWaitNanos) {
        this(images, labels, size, channels, height, width, dataWaitNanos, null);
    }
}
