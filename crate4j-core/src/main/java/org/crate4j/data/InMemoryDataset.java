package org.crate4j.data;

import java.util.List;
import java.util.Objects;

/** Fixed-size images held in one HWC byte array (MNIST, CIFAR, synthetic data). */
public final class InMemoryDataset implements Dataset {
    private final int height, width, channels, count;
    private final byte[] pixels;
    private final int[] labels;
    private final List<String> classes;

    public InMemoryDataset(int height, int width, int channels, byte[] hwcPixels, int[] labels, List<String> classes) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        long per = (long) height * width * channels;
        if (per <= 0 || hwcPixels.length != per * labels.length) {
            throw new IllegalArgumentException("pixel array has " + hwcPixels.length + " bytes, expected "
                    + labels.length + " images of " + height + "x" + width + "x" + channels);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes.size()) {
                throw new IllegalArgumentException("label " + labels[i] + " of sample " + i
                        + " is outside 0.." + (classes.size() - 1));
            }
        }
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.count = labels.length;
        this.pixels = hwcPixels;
        this.labels = labels;
        this.classes = List.copyOf(Objects.requireNonNull(classes));
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public Image image(int index) {
        Objects.checkIndex(index, count);
        int per = height * width * channels;
        byte[] px = new byte[per];
        System.arraycopy(pixels, index * per, px, 0, per);
        return new Image(height, width, channels, px);
    }

    @Override
    public int label(int index) {
        return labels[Objects.checkIndex(index, count)];
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }
}
