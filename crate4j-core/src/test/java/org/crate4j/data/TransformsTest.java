package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;

class TransformsTest {
    /** Channel c, row y, column x holds c*10000 + y*100 + x. */
    static FloatImage indexed(int c, int h, int w) {
        FloatImage img = new FloatImage(c, h, w);
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.set(ch, y, x, ch * 10000 + y * 100 + x);
                }
            }
        }
        return img;
    }

    static FloatImage random(int c, int h, int w, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        FloatImage img = new FloatImage(c, h, w);
        for (int i = 0; i < img.data.length; i++) {
            img.data[i] = r.nextInt(256) / 255f;
        }
        return img;
    }

    @Test
    void flipIsExactMirrorAndRespectsP() {
        FloatImage img = indexed(2, 3, 4);
        FloatImage f = Transforms.horizontalFlip(1.0).apply(img, new SplittableRandom(1));
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 4; x++) {
                    assertEquals(img.get(c, y, 3 - x), f.get(c, y, x));
                }
            }
        }
        assertSame(img, Transforms.horizontalFlip(0.0).apply(img, new SplittableRandom(1)));
    }

    @Test
    void randomCropMovesPixelsWithoutResamplingAndFillsWithZeros() {
        FloatImage img = indexed(2, 5, 6);
        int[] shifts = new int[25];
        for (int seed = 0; seed < 200; seed++) {
            FloatImage out = Transforms.randomCrop(5, 6, 2).apply(img, new SplittableRandom(seed));
            assertEquals(5, out.height);
            assertEquals(6, out.width);
            // find the shift from any pixel that came from the image, then check every pixel against it
            int dy = Integer.MIN_VALUE, dx = 0;
            for (int i = 0; i < 30 && dy == Integer.MIN_VALUE; i++) {
                float v = out.get(1, i / 6, i % 6);
                if (v != 0) {
                    int src = (int) v - 10000;
                    dy = src / 100 - i / 6;
                    dx = src % 100 - i % 6;
                }
            }
            assertTrue(Math.abs(dy) <= 2 && Math.abs(dx) <= 2, dy + "," + dx);
            shifts[(dy + 2) * 5 + dx + 2]++;
            for (int c = 0; c < 2; c++) {
                for (int y = 0; y < 5; y++) {
                    for (int x = 0; x < 6; x++) {
                        int sy = y + dy, sx = x + dx;
                        float want = sy >= 0 && sy < 5 && sx >= 0 && sx < 6 ? img.get(c, sy, sx) : 0;
                        assertEquals(want, out.get(c, y, x), "seed " + seed + " at " + c + "," + y + "," + x);
                    }
                }
            }
        }
        assertTrue(Arrays.stream(shifts).allMatch(n -> n > 0), "every one of the 25 shifts occurs: " + Arrays.toString(shifts));
        FloatImage a = Transforms.randomCrop(5, 6, 2).apply(img, new SplittableRandom(7));
        assertArrayEquals(a.data, Transforms.randomCrop(5, 6, 2).apply(img, new SplittableRandom(7)).data);
        assertThrows(CrateException.class, () -> Transforms.randomCrop(10, 6, 2).apply(img, new SplittableRandom(0)));
    }

    @Test
    void centerCropTakesTheMiddleWindow() {
        FloatImage img = indexed(1, 6, 7);
        FloatImage c = Transforms.centerCrop(2, 3).apply(img, new SplittableRandom(0));
        // top = round(4/2) = 2, left = round(4/2) = 2
        assertEquals(2, c.height);
        assertEquals(3, c.width);
        assertEquals(202, c.get(0, 0, 0));
        assertEquals(304, c.get(0, 1, 2));
        // odd margin: (5-2)/2 = 1.5 rounds half-to-even to 2, as Python's round()
        assertEquals(200, Transforms.centerCrop(2, 2).apply(indexed(1, 5, 2), null).get(0, 0, 0));
        // larger than the image: zero padding around it
        FloatImage padded = Transforms.centerCrop(4, 4).apply(indexed(1, 2, 2), null);
        assertEquals(0, padded.get(0, 0, 0));
        assertEquals(0, padded.get(0, 1, 1)); // original (0,0) holds 0 too; check (1,2) → original (0,1)
        assertEquals(1, padded.get(0, 1, 2));
        assertEquals(101, padded.get(0, 2, 2));
        assertEquals(0, padded.get(0, 3, 3));
    }

    @Test
    void resizeKeepsConstantImageConstant() {
        FloatImage img = new FloatImage(3, 17, 23);
        Arrays.fill(img.data, 0.37f);
        for (int[] size : new int[][] {{5, 7}, {40, 31}, {17, 4}, {1, 1}}) {
            FloatImage r = Transforms.resize(size[0], size[1]).apply(img, null);
            assertEquals(size[0], r.height);
            assertEquals(size[1], r.width);
            for (float v : r.data) {
                assertEquals(0.37f, v, 1e-6f);
            }
        }
    }

    @Test
    void resizeShorterSideKeepsAspect() {
        FloatImage r = Transforms.resize(10).apply(new FloatImage(1, 20, 35), null);
        assertEquals(10, r.height);
        assertEquals(17, r.width); // int(10 * 35 / 20)
        r = Transforms.resize(10).apply(new FloatImage(1, 35, 20), null);
        assertEquals(17, r.height);
        assertEquals(10, r.width);
    }

    @Test
    void downscaleAveragesInsteadOfAliasing() {
        // a one-pixel checkerboard shrunk 4× must come out flat grey, not a sampled pattern
        FloatImage img = new FloatImage(1, 16, 16);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                img.set(0, y, x, (x + y) % 2);
            }
        }
        FloatImage r = Transforms.resize(4, 4).apply(img, null);
        for (float v : r.data) {
            assertEquals(0.5f, v, 0.02f);
        }
    }

    @Test
    void bilinearUpscaleInterpolates() {
        FloatImage img = new FloatImage(1, 1, 2, new float[] {0f, 1f});
        FloatImage r = Transforms.resize(1, 4).apply(img, null);
        // align_corners=False: samples at -0.25, 0.25, 0.75, 1.25 (clamped) → 0, .25, .75, 1
        assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 1f}, r.data, 1e-6f);
    }

    @Test
    void normalizeComputesPerChannel() {
        FloatImage img = new FloatImage(3, 1, 2, new float[] {0.485f, 1f, 0.456f, 0f, 0.406f, 0.5f});
        FloatImage n = Transforms.normalize(Transforms.IMAGENET_MEAN, Transforms.IMAGENET_STD).apply(img, null);
        assertEquals(0f, n.get(0, 0, 0), 1e-6f);
        assertEquals((1f - 0.485f) / 0.229f, n.get(0, 0, 1), 1e-5f);
        assertEquals((0f - 0.456f) / 0.224f, n.get(1, 0, 1), 1e-5f);
        assertEquals((0.5f - 0.406f) / 0.225f, n.get(2, 0, 1), 1e-5f);
        CrateException e = assertThrows(CrateException.class, () -> Transforms.normalize(
                Transforms.IMAGENET_MEAN, Transforms.IMAGENET_STD).apply(new FloatImage(1, 2, 2), null));
        assertTrue(e.getMessage().contains("toChannels(3)"));
    }

    @Test
    void toChannelsReplicatesAndConvertsToLuma() {
        FloatImage gray = new FloatImage(1, 1, 2, new float[] {0.2f, 0.8f});
        FloatImage rgb = Transforms.toChannels(3).apply(gray, null);
        assertArrayEquals(new float[] {0.2f, 0.8f, 0.2f, 0.8f, 0.2f, 0.8f}, rgb.data);
        FloatImage back = Transforms.toChannels(1).apply(new FloatImage(3, 1, 1, new float[] {1f, 0f, 0f}), null);
        assertEquals(0.2989f, back.data[0], 1e-6f);
    }

    @Test
    void randomResizedCropHasSizeAndIsReproducible() {
        FloatImage img = random(3, 40, 50, 7);
        Transform t = Transforms.randomResizedCrop(16, 12, 0.08, 1.0, 3.0 / 4, 4.0 / 3);
        FloatImage a = t.apply(img, new SplittableRandom(42));
        FloatImage b = t.apply(img, new SplittableRandom(42));
        assertEquals(3, a.channels);
        assertEquals(16, a.height);
        assertEquals(12, a.width);
        assertArrayEquals(a.data, b.data);
        boolean differs = false;
        for (long s = 0; s < 5 && !differs; s++) {
            differs = !Arrays.equals(a.data, t.apply(img, new SplittableRandom(100 + s)).data);
        }
        assertTrue(differs, "different seeds should give different crops");
    }

    @Test
    void randomResizedCropFallsBackToClampedCentreCrop() {
        // scale 1 with ratio fixed at 1 cannot fit a 10×40 image, so the fallback centre crop is 10×10
        FloatImage img = indexed(1, 10, 40);
        FloatImage r = Transforms.randomResizedCrop(10, 10, 1.0, 1.0, 1.0, 1.0).apply(img, new SplittableRandom(3));
        assertEquals(15, r.get(0, 0, 0)); // left = (40-10)/2
        assertEquals(924, r.get(0, 9, 9));
    }

    @Test
    void randAugmentIsDeterministicUnderSeedAndVaries() {
        FloatImage img = random(3, 24, 24, 11);
        Transform t = Transforms.randAugment(2, 14);
        int changed = 0;
        for (long s = 0; s < 20; s++) {
            FloatImage a = t.apply(img, new SplittableRandom(s));
            FloatImage b = t.apply(img, new SplittableRandom(s));
            assertArrayEquals(a.data, b.data);
            assertEquals(24, a.height);
            if (!Arrays.equals(a.data, img.data)) {
                changed++;
            }
        }
        assertTrue(changed >= 10, "most draws should change the image, got " + changed);
        Transform wide = Transforms.trivialAugmentWide();
        assertArrayEquals(wide.apply(img, new SplittableRandom(5)).data, wide.apply(img, new SplittableRandom(5)).data);
    }

    @Test
    void randomErasingZeroesARectangle() {
        FloatImage img = new FloatImage(3, 20, 20);
        Arrays.fill(img.data, 1f);
        FloatImage e = Transforms.randomErasing(1.0).apply(img, new SplittableRandom(9));
        int zeros = 0, top = 99, bottom = -1, left = 99, right = -1;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 20; y++) {
                for (int x = 0; x < 20; x++) {
                    if (e.get(c, y, x) == 0f) {
                        zeros++;
                        top = Math.min(top, y);
                        bottom = Math.max(bottom, y);
                        left = Math.min(left, x);
                        right = Math.max(right, x);
                    }
                }
            }
        }
        int rect = (bottom - top + 1) * (right - left + 1);
        assertEquals(3 * rect, zeros, "erased region is one solid rectangle in every channel");
        assertTrue(rect >= 4 && rect <= 160, "erased area " + rect);
        assertSame(img, Transforms.randomErasing(0.0).apply(img, new SplittableRandom(9)));
    }

    @Test
    void presetsProduceRequestedSize() {
        FloatImage img = random(3, 40, 30, 3);
        SplittableRandom rng = new SplittableRandom(1);
        for (Transform t : new Transform[] {Transforms.imagenetTrain(16), Transforms.imagenetEval(16),
                Transforms.finetuneTrain(16), Transforms.finetuneEval(16)}) {
            FloatImage out = t.apply(img, rng);
            assertEquals(3, out.channels);
            assertEquals(16, out.height);
            assertEquals(16, out.width);
        }
        // already at size: eval only normalises
        FloatImage sized = random(3, 16, 16, 4);
        FloatImage ev = Transforms.imagenetEval(16).apply(sized, rng);
        assertEquals((sized.get(1, 5, 7) - 0.456f) / 0.224f, ev.get(1, 5, 7), 1e-5f);
    }
}
