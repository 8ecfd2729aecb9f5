package org.crate4j.data;

import java.util.List;
import org.crate4j.CrateException;

/**
 * Transform factories with torchvision semantics. Every random choice is drawn from the RandomGenerator
 * passed to {@link Transform#apply}, in a fixed order, so a seeded generator reproduces the output exactly.
 */
public final class Transforms {
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private Transforms() {}

    public static Transform identity() {
        return (img, rng) -> img;
    }

    public static Transform compose(Transform... steps) {
        List<Transform> list = List.of(steps);
        return (img, rng) -> {
            FloatImage out = img;
            for (Transform t : list) {
                out = t.apply(out, rng);
            }
            return out;
        };
    }

    /** Shorter side to {@code shorter}, the other side scaled and truncated (torchvision Resize(int)). */
    public static Transform resize(int shorter) {
        positive("resize", shorter, shorter);
        return (img, rng) -> {
            int h = img.height, w = img.width;
            if (h <= w) {
                return Geometry.resize(img, shorter, (int) ((long) shorter * w / h));
            }
            return Geometry.resize(img, (int) ((long) shorter * h / w), shorter);
        };
    }

    /** Bilinear resize to exactly h×w, antialiased when shrinking. */
    public static Transform resize(int h, int w) {
        positive("resize", h, w);
        return (img, rng) -> Geometry.resize(img, h, w);
    }

    /** Centre window of h×w; zero-padded where the image is smaller (torchvision CenterCrop). */
    public static Transform centerCrop(int h, int w) {
        positive("centerCrop", h, w);
        return (img, rng) -> Geometry.crop(img, centerOffset(img.height, h), centerOffset(img.width, w), h, w);
    }

    static int centerOffset(int size, int crop) {
        // Python's round() is half-to-even, hence rint; padding puts the odd pixel after the image
        return crop > size ? -((crop - size) / 2) : (int) Math.rint((size - crop) / 2.0);
    }

    /** torchvision RandomResizedCrop: area fraction uniform in [scaleMin, scaleMax], log-uniform aspect ratio. */
    public static Transform randomResizedCrop(int h, int w, double scaleMin, double scaleMax,
                                              double ratioMin, double ratioMax) {
        positive("randomResizedCrop", h, w);
        if (!(scaleMin > 0 && scaleMin <= scaleMax && ratioMin > 0 && ratioMin <= ratioMax)) {
            throw new IllegalArgumentException("randomResizedCrop needs 0 < scaleMin <= scaleMax and 0 < ratioMin <= ratioMax");
        }
        double logLo = Math.log(ratioMin), logHi = Math.log(ratioMax);
        return (img, rng) -> {
            int height = img.height, width = img.width;
            double area = (double) height * width;
            for (int attempt = 0; attempt < 10; attempt++) {
                double target = area * uniform(rng, scaleMin, scaleMax);
                double aspect = Math.exp(uniform(rng, logLo, logHi));
                int cw = (int) Math.rint(Math.sqrt(target * aspect));
                int ch = (int) Math.rint(Math.sqrt(target / aspect));
                if (cw > 0 && cw <= width && ch > 0 && ch <= height) {
                    int top = rng.nextInt(height - ch + 1), left = rng.nextInt(width - cw + 1);
                    return Geometry.resize(Geometry.crop(img, top, left, ch, cw), h, w);
                }
            }
            double inRatio = (double) width / height;
            int cw = width, ch = height;
            if (inRatio < ratioMin) {
                ch = (int) Math.rint(width / ratioMin);
            } else if (inRatio > ratioMax) {
                cw = (int) Math.rint(height * ratioMax);
            }
            return Geometry.resize(Geometry.crop(img, (height - ch) / 2, (width - cw) / 2, ch, cw), h, w);
        };
    }

    /**
     * torchvision's RandomCrop(size, padding): pads every side with {@code padding} zeros, then cuts
     * an {@code h}×{@code w} window at a uniformly random position. Pixels are moved, never resampled.
     */
    public static Transform randomCrop(int h, int w, int padding) {
        positive("randomCrop", h, w);
        if (padding < 0) {
            throw new IllegalArgumentException("randomCrop needs padding >= 0, got " + padding);
        }
        return (img, rng) -> {
            int ph = img.height + 2 * padding, pw = img.width + 2 * padding;
            if (h > ph || w > pw) {
                throw new CrateException("randomCrop " + h + "x" + w + " is larger than the padded image " + ph + "x" + pw);
            }
            int top = rng.nextInt(ph - h + 1) - padding, left = rng.nextInt(pw - w + 1) - padding;
            return Geometry.crop(img, top, left, h, w); // zero outside the image: the padding
        };
    }

    public static Transform horizontalFlip(double p) {
        return (img, rng) -> rng.nextDouble() < p ? Geometry.flipHorizontal(img) : img;
    }

    /** (x − mean[c]) / std[c]; one-element arrays apply to every channel. */
    public static Transform normalize(float[] mean, float[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("normalize needs mean and std of equal, non-zero length");
        }
        float[] m = mean.clone(), s = std.clone();
        return (img, rng) -> {
            if (m.length != 1 && m.length != img.channels) {
                throw new CrateException("normalize has " + m.length + " channel statistics but the image has "
                        + img.channels + " channels; add Transforms.toChannels(" + m.length + ") before it");
            }
            FloatImage out = new FloatImage(img.channels, img.height, img.width);
            int plane = img.planeSize();
            for (int ch = 0; ch < img.channels; ch++) {
                float mu = m[m.length == 1 ? 0 : ch], inv = 1f / s[s.length == 1 ? 0 : ch];
                for (int i = ch * plane; i < (ch + 1) * plane; i++) {
                    out.data[i] = (img.data[i] - mu) * inv;
                }
            }
            return out;
        };
    }

    /** RandAugment(num_ops=n, magnitude, num_magnitude_bins=31); apply before normalize. */
    public static Transform randAugment(int n, int magnitude) {
        return AutoAugment.randAugment(n, magnitude);
    }

    /** TrivialAugmentWide with 31 bins; apply before normalize. */
    public static Transform trivialAugmentWide() {
        return AutoAugment.trivialAugmentWide();
    }

    /** RandomErasing with torchvision's defaults: scale 0.02–0.33, ratio 0.3–3.3, value 0. */
    public static Transform randomErasing(double p) {
        return randomErasing(p, 0.02, 0.33, 0.3, 3.3, 0f);
    }

    /** Erases a random rectangle with {@code value}; after normalize, as in torchvision recipes. */
    public static Transform randomErasing(double p, double scaleMin, double scaleMax,
                                          double ratioMin, double ratioMax, float value) {
        double logLo = Math.log(ratioMin), logHi = Math.log(ratioMax);
        return (img, rng) -> {
            if (!(rng.nextDouble() < p)) {
                return img;
            }
            int height = img.height, width = img.width;
            double area = (double) height * width;
            for (int attempt = 0; attempt < 10; attempt++) {
                double erase = area * uniform(rng, scaleMin, scaleMax);
                double aspect = Math.exp(uniform(rng, logLo, logHi));
                int eh = (int) Math.rint(Math.sqrt(erase * aspect));
                int ew = (int) Math.rint(Math.sqrt(erase / aspect));
                if (!(eh < height && ew < width)) {
                    continue;
                }
                int top = rng.nextInt(height - eh + 1), left = rng.nextInt(width - ew + 1);
                FloatImage out = img.copy();
                for (int ch = 0; ch < img.channels; ch++) {
                    for (int y = top; y < top + eh; y++) {
                        int row = (ch * height + y) * width;
                        java.util.Arrays.fill(out.data, row + left, row + left + ew, value);
                    }
                }
                return out;
            }
            return img;
        };
    }

    /** Grayscale→RGB by replication, RGB→grayscale by ITU-R 601-2 luma; other counts are rejected. */
    public static Transform toChannels(int c) {
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("toChannels supports 1 or 3, got " + c);
        }
        return (img, rng) -> {
            if (img.channels == c) {
                return img;
            }
            int plane = img.planeSize();
            if (c == 3 && img.channels == 1) {
                float[] out = new float[3 * plane];
                for (int k = 0; k < 3; k++) {
                    System.arraycopy(img.data, 0, out, k * plane, plane);
                }
                return new FloatImage(3, img.height, img.width, out);
            }
            if (c == 1 && img.channels == 3) {
                return new FloatImage(1, img.height, img.width, PixelOps.luma(img));
            }
            throw new CrateException("cannot convert a " + img.channels + "-channel image to " + c + " channels");
        };
    }

    /** RandomResizedCrop(size, 0.08–1, 3/4–4/3) + flip + ImageNet normalisation. */
    public static Transform imagenetTrain(int size) {
        return compose(randomResizedCrop(size, size, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0), horizontalFlip(0.5),
                normalize(IMAGENET_MEAN, IMAGENET_STD));
    }

    /** Images already size×size pass through; others get shorter side size·256/224 then a centre crop. */
    public static Transform imagenetEval(int size) {
        Transform resize = resize((int) Math.floor(size * 256.0 / 224.0));
        Transform crop = centerCrop(size, size);
        Transform norm = normalize(IMAGENET_MEAN, IMAGENET_STD);
        return (img, rng) -> {
            FloatImage out = img.height == size && img.width == size ? img : crop.apply(resize.apply(img, rng), rng);
            return norm.apply(out, rng);
        };
    }

    /** CRATE fine-tuning: resize size×size, RandomResizedCrop, flip, RandAugment(2,14), ImageNet normalisation. */
    public static Transform finetuneTrain(int size) {
        return compose(resize(size, size), randomResizedCrop(size, size, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0),
                horizontalFlip(0.5), randAugment(2, 14), normalize(IMAGENET_MEAN, IMAGENET_STD));
    }

    public static Transform finetuneEval(int size) {
        return compose(resize(size, size), normalize(IMAGENET_MEAN, IMAGENET_STD));
    }

    private static double uniform(java.util.random.RandomGenerator rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }

    private static void positive(String what, int h, int w) {
        if (h <= 0 || w <= 0) {
            throw new IllegalArgumentException(what + " size must be positive, got " + h + "x" + w);
        }
    }
}
