package org.crate4j.mae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.crate4j.engine.Torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MaeMaskingTest {

    @BeforeAll
    static void natives() {
        Torch.init();
    }

    @Test
    void keepsTheQuarterOfPatchesWithSmallestNoise() {
        CrateMae m = CrateMae.create(MaeConfig.of(16, 4, 3, 16, 1, 2));                 // 16 patches, keep 4
        float[] noise = {0.90f, 0.10f, 0.50f, 0.30f, 0.95f, 0.05f, 0.60f, 0.70f,
                         0.20f, 0.80f, 0.85f, 0.40f, 0.55f, 0.65f, 0.75f, 0.99f};
        Masking k = m.mask(Torch.fromFloats(noise, 1, 16));
        float[] mask = Torch.toFloats(k.mask());
        float[] want = new float[16];
        java.util.Arrays.fill(want, 1f);
        for (int kept : new int[] {5, 1, 8, 3}) {                                      // 0.05, 0.10, 0.20, 0.30
            want[kept] = 0f;
        }
        assertArrayEquals(want, mask);
        assertArrayEquals(new float[] {5, 1, 8, 3}, Torch.toFloats(k.idsKeep()), "kept in ascending noise order");
        assertArrayEquals(new float[] {13, 1, 5, 3, 14, 0, 7, 9, 2, 11, 12, 4, 6, 8, 10, 15},
                Torch.toFloats(k.idsRestore()), "each patch's rank in the noise order");
    }

    @Test
    void removesNTimesRatioPatchesPerImage() {
        CrateMae m = CrateMae.create(MaeConfig.of(12, 4, 1, 8, 1, 1));                  // 9 patches: keep int(2.25) = 2
        Masking k = m.randomMask(5);
        float[] mask = Torch.toFloats(k.mask());
        for (int b = 0; b < 5; b++) {
            float removed = 0;
            for (int j = 0; j < 9; j++) {
                removed += mask[b * 9 + j];
            }
            assertEquals(7f, removed, "image " + b);
        }
        assertArrayEquals(new long[] {5, 2}, Torch.shape(k.idsKeep()));
    }
}
