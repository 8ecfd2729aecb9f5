package org.crate4j.data;

/** Resampling and geometric warps on CHW float images. */
final class Geometry {
    private Geometry() {}

    /** Per-output-pixel filter taps along one axis. */
    private record Taps(int[] start, int[] count, float[] weights, int stride) {}

    /**
     * Triangle (bilinear) filter whose support widens with the downscale factor, as PIL and
     * torchvision's antialias=True do: plain bilinear when upscaling, area-like averaging when shrinking,
     * so small outputs do not alias.
     */
    private static Taps taps(int in, int out) {
        double scale = (double) in / out;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale; // triangle radius 1, stretched by filterScale
        int stride = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[out], count = new int[out];
        float[] weights = new float[out * stride];
        double[] w = new double[stride];
        for (int i = 0; i < out; i++) {
            double center = (i + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(center - support));
            int hi = Math.min(in, (int) Math.ceil(center + support));
            int n = 0;
            double sum = 0;
            for (int j = lo; j < hi && n < stride; j++, n++) {
                w[n] = Math.max(0.0, 1.0 - Math.abs((j + 0.5 - center) / filterScale));
                sum += w[n];
            }
            for (int k = 0; k < n; k++) {
                weights[i * stride + k] = (float) (sum > 0 ? w[k] / sum : 0);
            }
            start[i] = lo;
            count[i] = n;
        }
        return new Taps(start, count, weights, stride);
    }

    static FloatImage resize(FloatImage src, int outH, int outW) {
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("resize target must be positive, got " + outH + "x" + outW);
        }
        if (outH == src.height && outW == src.width) {
            return src;
        }
        int c = src.channels, inH = src.height, inW = src.width;
        Taps tx = taps(inW, outW), ty = taps(inH, outH);
        float[] rows = new float[c * inH * outW];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < inH; y++) {
                int inRow = (ch * inH + y) * inW, outRow = (ch * inH + y) * outW;
                for (int x = 0; x < outW; x++) {
                    int s = tx.start[x], base = x * tx.stride;
                    float acc = 0;
                    for (int k = 0; k < tx.count[x]; k++) {
                        acc += tx.weights[base + k] * src.data[inRow + s + k];
                    }
                    rows[outRow + x] = acc;
                }
            }
        }
        float[] out = new float[c * outH * outW];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < outH; y++) {
                int outRow = (ch * outH + y) * outW, s = ty.start[y], base = y * ty.stride;
                for (int k = 0; k < ty.count[y]; k++) {
                    float wk = ty.weights[base + k];
                    int inRow = (ch * inH + s + k) * outW;
                    for (int x = 0; x < outW; x++) {
                        out[outRow + x] += wk * rows[inRow + x];
                    }
                }
            }
        }
        return new FloatImage(c, outH, outW, out);
    }

    /** Copies the h×w window at (top, left); parts outside the source are zero (padding). */
    static FloatImage crop(FloatImage src, int top, int left, int h, int w) {
        if (top == 0 && left == 0 && h == src.height && w == src.width) {
            return src;
        }
        FloatImage out = new FloatImage(src.channels, h, w);
        int x0 = Math.max(0, -left), x1 = Math.min(w, src.width - left);
        for (int ch = 0; ch < src.channels; ch++) {
            for (int y = 0; y < h; y++) {
                int sy = top + y;
                if (sy < 0 || sy >= src.height || x1 <= x0) {
                    continue;
                }
                System.arraycopy(src.data, (ch * src.height + sy) * src.width + left + x0,
                        out.data, (ch * h + y) * w + x0, x1 - x0);
            }
        }
        return out;
    }

    static FloatImage flipHorizontal(FloatImage src) {
        FloatImage out = new FloatImage(src.channels, src.height, src.width);
        int w = src.width;
        for (int row = 0; row < src.channels * src.height; row++) {
            int o = row * w;
            for (int x = 0; x < w; x++) {
                out.data[o + x] = src.data[o + w - 1 - x];
            }
        }
        return out;
    }

    /**
     * torchvision's affine warp with nearest sampling and zero fill: rotation (degrees, counter-clockwise on
     * screen), translation (pixels) and shear (degrees) about the centre (cx, cy) in pixel-edge coordinates.
     */
    static FloatImage affineNearest(FloatImage src, double angleDeg, double tx, double ty,
                                    double shearXDeg, double shearYDeg, double cx, double cy) {
        double[] m = inverseAffine(cx, cy, -angleDeg, tx, ty, shearXDeg, shearYDeg);
        int h = src.height, w = src.width, plane = h * w;
        FloatImage out = new FloatImage(src.channels, h, w);
        for (int y = 0; y < h; y++) {
            double py = y + 0.5;
            for (int x = 0; x < w; x++) {
                double px = x + 0.5;
                int sx = (int) Math.floor(m[0] * px + m[1] * py + m[2]);
                int sy = (int) Math.floor(m[3] * px + m[4] * py + m[5]);
                if (sx < 0 || sy < 0 || sx >= w || sy >= h) {
                    continue;
                }
                for (int ch = 0; ch < src.channels; ch++) {
                    out.data[ch * plane + y * w + x] = src.data[ch * plane + sy * w + sx];
                }
            }
        }
        return out;
    }

    /** Output-to-input mapping M = C · (R·Sh)^-1 · C^-1 · T^-1, as torchvision's _get_inverse_affine_matrix. */
    static double[] inverseAffine(double cx, double cy, double angleDeg, double tx, double ty,
                                  double shearXDeg, double shearYDeg) {
        double rot = Math.toRadians(angleDeg), sx = Math.toRadians(shearXDeg), sy = Math.toRadians(shearYDeg);
        double a = Math.cos(rot - sy) / Math.cos(sy);
        double b = -Math.cos(rot - sy) * Math.tan(sx) / Math.cos(sy) - Math.sin(rot);
        double c = Math.sin(rot - sy) / Math.cos(sy);
        double d = -Math.sin(rot - sy) * Math.tan(sx) / Math.cos(sy) + Math.cos(rot);
        double[] m = {d, -b, 0, -c, a, 0};
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
        m[2] += cx;
        m[5] += cy;
        return m;
    }
}
