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

    /** Samples {@code start … start + count − 1} as a batch of their own (no wait of its own). */
    public Batch rows(int start, int count) {
        if (start < 0 || count < 0 || start + count > size) {
            throw new IndexOutOfBoundsException("rows " + start + "+" + count + " of a batch of " + size);
        }
        int per = channels * height * width;
        return new Batch(java.util.Arrays.copyOfRange(images, start * per, (start + count) * per),
                labels == null ? null : java.util.Arrays.copyOfRange(labels, start, start + count), count, channels, height, width, 0,
                indices == null ? null : java.util.Arrays.copyOfRange(indices, start, start + count));
    }
}
