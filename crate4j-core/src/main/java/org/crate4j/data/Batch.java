package org.crate4j.data;

/**
 * One collated batch: {@code images} is NCHW of length size*channels*height*width.
 * {@code dataWaitNanos} is how long the consumer blocked waiting for it (input-pipeline stall).
 */
public record Batch(float[] images, int[] labels, int size, int channels, int height, int width, long dataWaitNanos) {}
