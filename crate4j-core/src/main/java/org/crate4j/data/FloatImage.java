package org.crate4j.data;

/** A float image, CHW planar, values typically in [0,1] before Normalize. */
public final class FloatImage {
    public final int channels, height, width;
    public final float[] data;

    public FloatImage(int channels, int height, int width) {
        this(channels, height, width, new float[checkedSize(channels, height, width)]);
    }

    public FloatImage(int channels, int height, int width, float[] data) {
        if (data.length != checkedSize(channels, height, width)) {
            throw new IllegalArgumentException("float image buffer has " + data.length + " values, expected "
                    + channels + "*" + height + "*" + width);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.data = data;
    }

    private static int checkedSize(int c, int h, int w) {
        if (c <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("float image dimensions must be positive, got " + c + "x" + h + "x" + w);
        }
        return Math.multiplyExact(Math.multiplyExact(c, h), w);
    }

    /** Converts HWC bytes to CHW floats scaled to [0,1], like torchvision's ToTensor. */
    public static FloatImage fromImage(Image img) {
        int c = img.channels(), h = img.height(), w = img.width(), plane = h * w;
        float[] out = new float[c * plane];
        byte[] px = img.pixels();
        for (int i = 0; i < plane; i++) {
            for (int k = 0; k < c; k++) {
                out[k * plane + i] = (px[i * c + k] & 0xFF) / 255f;
            }
        }
        return new FloatImage(c, h, w, out);
    }

    /** Rounds and clamps back to 8 bits; handy for saving previews of augmentations. */
    public Image toImage() {
        if (channels != 1 && channels != 3) {
            throw new IllegalStateException("only 1- or 3-channel images convert to Image, this has " + channels);
        }
        int plane = height * width;
        byte[] px = new byte[channels * plane];
        for (int i = 0; i < plane; i++) {
            for (int k = 0; k < channels; k++) {
                px[i * channels + k] = (byte) toByte(data[k * plane + i]);
            }
        }
        return new Image(height, width, channels, px);
    }

    static int toByte(float v) {
        int q = Math.round(v * 255f);
        return q < 0 ? 0 : Math.min(q, 255);
    }

    public int planeSize() {
        return height * width;
    }

    public float get(int c, int y, int x) {
        return data[(c * height + y) * width + x];
    }

    public void set(int c, int y, int x, float v) {
        data[(c * height + y) * width + x] = v;
    }

    public FloatImage copy() {
        return new FloatImage(channels, height, width, data.clone());
    }

    @Override
    public String toString() {
        return "FloatImage[" + channels + "x" + height + "x" + width + "]";
    }
}
