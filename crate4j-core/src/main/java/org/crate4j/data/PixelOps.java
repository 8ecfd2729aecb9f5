package org.crate4j.data;

/**
 * Photometric operations with torchvision's tensor semantics on [0,1] floats. Ops defined on 8-bit values
 * (posterize, equalize) quantise to 256 levels internally.
 */
final class PixelOps {
    private PixelOps() {}

    /** ITU-R 601-2 luma, the weights torchvision's rgb_to_grayscale uses. */
    static float[] luma(FloatImage img) {
        int plane = img.planeSize();
        float[] g = new float[plane];
        if (img.channels < 3) {
            System.arraycopy(img.data, 0, g, 0, plane);
            return g;
        }
        for (int i = 0; i < plane; i++) {
            g[i] = 0.2989f * img.data[i] + 0.587f * img.data[plane + i] + 0.114f * img.data[2 * plane + i];
        }
        return g;
    }

    /** ratio·img + (1−ratio)·other, clamped to [0,1]; other is one plane broadcast to all channels. */
    private static FloatImage blendPlane(FloatImage img, float[] other, float ratio) {
        FloatImage out = new FloatImage(img.channels, img.height, img.width);
        int plane = img.planeSize();
        for (int ch = 0; ch < img.channels; ch++) {
            for (int i = 0; i < plane; i++) {
                int k = ch * plane + i;
                out.data[k] = clamp(ratio * img.data[k] + (1 - ratio) * other[i]);
            }
        }
        return out;
    }

    static FloatImage brightness(FloatImage img, float factor) {
        FloatImage out = new FloatImage(img.channels, img.height, img.width);
        for (int i = 0; i < img.data.length; i++) {
            out.data[i] = clamp(img.data[i] * factor);
        }
        return out;
    }

    /** Saturation; a grayscale image has none, so it is returned unchanged as torchvision does. */
    static FloatImage color(FloatImage img, float factor) {
        return img.channels == 1 ? img : blendPlane(img, luma(img), factor);
    }

    static FloatImage contrast(FloatImage img, float factor) {
        float[] g = luma(img);
        double sum = 0;
        for (float v : g) {
            sum += v;
        }
        float[] mean = new float[g.length];
        java.util.Arrays.fill(mean, (float) (sum / g.length));
        return blendPlane(img, mean, factor);
    }

    /** Blend with a 3×3 smoothing ([[1,1,1],[1,5,1],[1,1,1]]/13) of the interior; borders stay as they are. */
    static FloatImage sharpness(FloatImage img, float factor) {
        int h = img.height, w = img.width, plane = h * w;
        if (h <= 2 || w <= 2) {
            return img;
        }
        FloatImage out = img.copy();
        for (int ch = 0; ch < img.channels; ch++) {
            int o = ch * plane;
            for (int y = 1; y < h - 1; y++) {
                for (int x = 1; x < w - 1; x++) {
                    float s = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            s += img.data[o + (y + dy) * w + x + dx];
                        }
                    }
                    float center = img.data[o + y * w + x];
                    float blurred = (s + 4 * center) / 13f;
                    out.data[o + y * w + x] = clamp(factor * center + (1 - factor) * blurred);
                }
            }
        }
        return out;
    }

    static FloatImage posterize(FloatImage img, int bits) {
        int mask = bits <= 0 ? 0 : (0xFF << (8 - Math.min(bits, 8))) & 0xFF;
        FloatImage out = new FloatImage(img.channels, img.height, img.width);
        for (int i = 0; i < img.data.length; i++) {
            out.data[i] = (FloatImage.toByte(img.data[i]) & mask) / 255f;
        }
        return out;
    }

    /** Inverts values at or above threshold (threshold on the [0,1] scale). */
    static FloatImage solarize(FloatImage img, float threshold) {
        FloatImage out = new FloatImage(img.channels, img.height, img.width);
        for (int i = 0; i < img.data.length; i++) {
            float v = img.data[i];
            out.data[i] = v >= threshold ? 1f - v : v;
        }
        return out;
    }

    /** Stretches each channel to [0,1]; flat channels are left alone. */
    static FloatImage autoContrast(FloatImage img) {
        FloatImage out = img.copy();
        int plane = img.planeSize();
        for (int ch = 0; ch < img.channels; ch++) {
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            for (int i = ch * plane; i < (ch + 1) * plane; i++) {
                lo = Math.min(lo, img.data[i]);
                hi = Math.max(hi, img.data[i]);
            }
            if (hi > lo) {
                float scale = 1f / (hi - lo);
                for (int i = ch * plane; i < (ch + 1) * plane; i++) {
                    out.data[i] = clamp((img.data[i] - lo) * scale);
                }
            }
        }
        return out;
    }

    /** Per-channel histogram equalisation with PIL's lookup table (as torchvision's equalize). */
    static FloatImage equalize(FloatImage img) {
        FloatImage out = new FloatImage(img.channels, img.height, img.width);
        int plane = img.planeSize();
        int[] q = new int[plane];
        for (int ch = 0; ch < img.channels; ch++) {
            int[] hist = new int[256];
            for (int i = 0; i < plane; i++) {
                q[i] = FloatImage.toByte(img.data[ch * plane + i]);
                hist[q[i]]++;
            }
            int last = 255;
            while (last > 0 && hist[last] == 0) {
                last--;
            }
            int step = (plane - hist[last]) / 255; // pixels outside the top non-empty bin
            int[] lut = new int[256];
            if (step == 0) {
                for (int v = 0; v < 256; v++) {
                    lut[v] = v;
                }
            } else {
                int cum = 0;
                for (int v = 0; v < 256; v++) {
                    lut[v] = Math.min(255, (cum + step / 2) / step);
                    cum += hist[v];
                }
            }
            for (int i = 0; i < plane; i++) {
                out.data[ch * plane + i] = lut[q[i]] / 255f;
            }
        }
        return out;
    }

    static float clamp(float v) {
        return v < 0f ? 0f : Math.min(v, 1f);
    }
}
