package org.crate4j.data;

/** An 8-bit image, HWC interleaved, channels 1 or 3. */
public record Image(int height, int width, int channels, byte[] pixels) {
    public Image {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("image channels must be 1 or 3, got " + channels);
        }
        if (pixels.length != height * width * channels) {
            throw new IllegalArgumentException("pixel buffer has " + pixels.length + " bytes, expected "
                    + height + "*" + width + "*" + channels);
        }
    }

    /** Unsigned value of channel c at (y, x). */
    public int get(int y, int x, int c) {
        return pixels[(y * width + x) * channels + c] & 0xFF;
    }
}
