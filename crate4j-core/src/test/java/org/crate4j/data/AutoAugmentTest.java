package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.*;

import org.crate4j.data.AutoAugment.Op;
import org.junit.jupiter.api.Test;

class AutoAugmentTest {
    @Test
    void magnitudeBinsMatchTorchvision() {
        assertEquals(0.3 * 14 / 30, AutoAugment.magnitude(Op.SHEAR_X, 14, 32, 32, false), 1e-12);
        assertEquals(150.0 / 331.0 * 40, AutoAugment.magnitude(Op.TRANSLATE_X, 30, 32, 40, false), 1e-12);
        assertEquals(150.0 / 331.0 * 32, AutoAugment.magnitude(Op.TRANSLATE_Y, 30, 32, 40, false), 1e-12);
        assertEquals(14.0, AutoAugment.magnitude(Op.ROTATE, 14, 32, 32, false), 1e-12);
        assertEquals(6, AutoAugment.magnitude(Op.POSTERIZE, 14, 32, 32, false)); // 8 - round(14/7.5)
        assertEquals(4, AutoAugment.magnitude(Op.POSTERIZE, 30, 32, 32, false));
        assertEquals(2, AutoAugment.magnitude(Op.POSTERIZE, 30, 32, 32, true));
        assertEquals(136.0, AutoAugment.magnitude(Op.SOLARIZE, 14, 32, 32, false), 1e-9);
        assertEquals(135.0, AutoAugment.magnitude(Op.ROTATE, 30, 32, 32, true), 1e-12);
        assertEquals(32.0, AutoAugment.magnitude(Op.TRANSLATE_X, 30, 8, 8, true), 1e-12);
    }

    @Test
    void translateShiftsContentAndFillsZero() {
        FloatImage img = TransformsTest.indexed(1, 3, 4);
        FloatImage t = AutoAugment.apply(Op.TRANSLATE_X, img, 1.7); // int(1.7) = 1 pixel right
        assertEquals(0, t.get(0, 1, 0));
        assertEquals(100, t.get(0, 1, 1));
        assertEquals(102, t.get(0, 1, 3));
        FloatImage up = AutoAugment.apply(Op.TRANSLATE_Y, img, -1);
        assertEquals(200, up.get(0, 1, 0));
        assertEquals(0, up.get(0, 2, 0));
    }

    @Test
    void shearXPivotsOnTopLeft() {
        FloatImage img = TransformsTest.indexed(1, 4, 6);
        // magnitude 0.5: output pixel centre (x+.5, y+.5) reads input x + .5 + (y + .5)/2
        FloatImage s = AutoAugment.apply(Op.SHEAR_X, img, 0.5);
        assertEquals(0, s.get(0, 0, 0));
        assertEquals(102, s.get(0, 1, 1));
        assertEquals(302, s.get(0, 3, 0));
        assertEquals(0, s.get(0, 3, 5)); // reads column 7.25: outside, zero fill
    }

    @Test
    void rotateBy180IsDoubleFlip() {
        FloatImage img = TransformsTest.indexed(1, 4, 6);
        FloatImage r = AutoAugment.apply(Op.ROTATE, img, 180);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                assertEquals(img.get(0, 3 - y, 5 - x), r.get(0, y, x));
            }
        }
    }

    @Test
    void pixelOpsOnKnownValues() {
        FloatImage img = new FloatImage(1, 1, 4, new float[] {0f, 100 / 255f, 200 / 255f, 1f});
        assertArrayEquals(new float[] {0f, 96 / 255f, 192 / 255f, 240 / 255f},
                PixelOps.posterize(img, 4).data, 1e-6f);
        assertArrayEquals(new float[] {0f, 100 / 255f, 1 - 200 / 255f, 0f},
                PixelOps.solarize(img, 150 / 255f).data, 1e-6f);
        FloatImage narrow = new FloatImage(1, 1, 3, new float[] {0.2f, 0.3f, 0.6f});
        assertArrayEquals(new float[] {0f, 0.25f, 1f}, PixelOps.autoContrast(narrow).data, 1e-6f);
        assertArrayEquals(new float[] {0f, 0.5f, 1f}, PixelOps.brightness(new FloatImage(1, 1, 3,
                new float[] {0f, 0.25f, 0.75f}), 2f).data, 1e-6f);
        // mean grey is 0.5 → contrast 0 gives flat 0.5
        assertArrayEquals(new float[] {0.5f, 0.5f}, PixelOps.contrast(new FloatImage(1, 1, 2,
                new float[] {0f, 1f}), 0f).data, 1e-6f);
    }

    @Test
    void equalizeSpreadsHistogram() {
        // 4 pixels at levels 10, 10, 20, 30: PIL lut step = (4 - 1) / 255 = 0 → unchanged
        FloatImage small = new FloatImage(1, 1, 4, new float[] {10 / 255f, 10 / 255f, 20 / 255f, 30 / 255f});
        assertArrayEquals(small.data, PixelOps.equalize(small).data, 1e-6f);
        // 1020 pixels, 510 at level 0, 510 at level 1: step = 510/255 = 2; lut[1] = (510 + 1) / 2 = 255
        FloatImage img = new FloatImage(1, 1, 1020);
        for (int i = 510; i < 1020; i++) {
            img.data[i] = 1 / 255f;
        }
        FloatImage eq = PixelOps.equalize(img);
        assertEquals(0f, eq.data[0]);
        assertEquals(1f, eq.data[1019]);
    }
}
