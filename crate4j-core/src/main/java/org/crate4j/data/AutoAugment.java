package org.crate4j.data;

import java.util.random.RandomGenerator;

/** torchvision's RandAugment and TrivialAugmentWide: op set, magnitude bins and sampling order. */
final class AutoAugment {
    static final int BINS = 31;

    enum Op {
        IDENTITY, SHEAR_X, SHEAR_Y, TRANSLATE_X, TRANSLATE_Y, ROTATE, BRIGHTNESS, COLOR, CONTRAST, SHARPNESS,
        POSTERIZE, SOLARIZE, AUTO_CONTRAST, EQUALIZE;

        boolean signed() {
            return ordinal() >= SHEAR_X.ordinal() && ordinal() <= SHARPNESS.ordinal();
        }

        boolean hasMagnitude() {
            return this != IDENTITY && this != AUTO_CONTRAST && this != EQUALIZE;
        }
    }

    private static final Op[] OPS = Op.values();

    private AutoAugment() {}

    /** Magnitude of bin (0..BINS-1) for an h×w image; "wide" is TrivialAugmentWide's larger ranges. */
    static double magnitude(Op op, int bin, int h, int w, boolean wide) {
        return switch (op) {
            case SHEAR_X, SHEAR_Y -> linspace(wide ? 0.99 : 0.3, bin);
            case TRANSLATE_X -> linspace(wide ? 32.0 : 150.0 / 331.0 * w, bin);
            case TRANSLATE_Y -> linspace(wide ? 32.0 : 150.0 / 331.0 * h, bin);
            case ROTATE -> linspace(wide ? 135.0 : 30.0, bin);
            case BRIGHTNESS, COLOR, CONTRAST, SHARPNESS -> linspace(wide ? 0.99 : 0.9, bin);
            case POSTERIZE -> 8 - (int) Math.rint(bin / ((BINS - 1) / (wide ? 6.0 : 4.0)));
            case SOLARIZE -> 255.0 - linspace(255.0, bin);
            case IDENTITY, AUTO_CONTRAST, EQUALIZE -> 0.0;
        };
    }

    private static double linspace(double end, int bin) {
        return end * bin / (BINS - 1);
    }

    static FloatImage apply(Op op, FloatImage img, double m) {
        return switch (op) {
            case IDENTITY -> img;
            // shear and translate pivot on the top-left corner, rotate on the centre, as torchvision
            case SHEAR_X -> Geometry.affineNearest(img, 0, 0, 0, Math.toDegrees(Math.atan(m)), 0, 0, 0);
            case SHEAR_Y -> Geometry.affineNearest(img, 0, 0, 0, 0, Math.toDegrees(Math.atan(m)), 0, 0);
            case TRANSLATE_X -> Geometry.affineNearest(img, 0, (int) m, 0, 0, 0, 0, 0);
            case TRANSLATE_Y -> Geometry.affineNearest(img, 0, 0, (int) m, 0, 0, 0, 0);
            case ROTATE -> Geometry.affineNearest(img, m, 0, 0, 0, 0, img.width * 0.5, img.height * 0.5);
            case BRIGHTNESS -> PixelOps.brightness(img, (float) (1 + m));
            case COLOR -> PixelOps.color(img, (float) (1 + m));
            case CONTRAST -> PixelOps.contrast(img, (float) (1 + m));
            case SHARPNESS -> PixelOps.sharpness(img, (float) (1 + m));
            case POSTERIZE -> PixelOps.posterize(img, (int) m);
            case SOLARIZE -> PixelOps.solarize(img, (float) (m / 255.0));
            case AUTO_CONTRAST -> PixelOps.autoContrast(img);
            case EQUALIZE -> PixelOps.equalize(img);
        };
    }

    private static FloatImage applyRandomSign(Op op, FloatImage img, double m, RandomGenerator rng) {
        if (op.signed() && rng.nextInt(2) == 1) {
            m = -m;
        }
        return apply(op, img, m);
    }

    /** n ops drawn uniformly with replacement, each at the fixed magnitude bin. */
    static Transform randAugment(int numOps, int magnitudeBin) {
        if (numOps < 0 || magnitudeBin < 0 || magnitudeBin >= BINS) {
            throw new IllegalArgumentException("RandAugment needs n >= 0 and magnitude in 0.." + (BINS - 1)
                    + ", got n=" + numOps + " magnitude=" + magnitudeBin);
        }
        return (img, rng) -> {
            FloatImage out = img;
            for (int i = 0; i < numOps; i++) {
                Op op = OPS[rng.nextInt(OPS.length)];
                out = applyRandomSign(op, out, magnitude(op, magnitudeBin, out.height, out.width, false), rng);
            }
            return out;
        };
    }

    /** One op with a uniformly drawn magnitude bin, over the wide ranges. */
    static Transform trivialAugmentWide() {
        return (img, rng) -> {
            Op op = OPS[rng.nextInt(OPS.length)];
            int bin = op.hasMagnitude() ? rng.nextInt(BINS) : 0;
            return applyRandomSign(op, img, magnitude(op, bin, img.height, img.width, true), rng);
        };
    }
}
