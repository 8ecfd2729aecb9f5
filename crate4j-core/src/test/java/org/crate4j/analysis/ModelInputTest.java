package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.data.FloatImage;
import org.crate4j.data.Transforms;
import org.junit.jupiter.api.Test;

class ModelInputTest {
    @Test
    void statisticsComeFromMetadataElseFromTheChannelCount() {
        var fromMeta = ModelInput.normalization(1, Map.of("mean", "[0.2860]", "std", "[0.3530]"));
        assertArrayEquals(new float[] {0.286f}, fromMeta.mean());
        assertArrayEquals(new float[] {0.353f}, fromMeta.std());
        assertArrayEquals(Transforms.IMAGENET_MEAN, ModelInput.normalization(3, Map.of()).mean());
        assertArrayEquals(new float[] {0.5f}, ModelInput.normalization(1, Map.of()).std());
        assertThrows(CrateException.class, () -> ModelInput.normalization(3, Map.of("mean", "[0.1, 0.2]", "std", "[1, 1]")));
        assertThrows(CrateException.class, () -> ModelInput.normalization(3, Map.of("mean", "grey", "std", "[1]")));
    }

    @Test
    void datasetImagesAreConvertedCroppedAndNormalised() {
        FloatImage rgb = new FloatImage(3, 8, 12);
        java.util.Arrays.fill(rgb.data, 0.75f);
        FloatImage out = ModelInput.fitAndCrop(1, 4, 4, new ModelInput.Normalization(new float[] {0.5f}, new float[] {0.5f})).apply(rgb, null);
        assertArrayEquals(new int[] {1, 4, 4}, new int[] {out.channels, out.height, out.width});
        for (float v : out.data) {
            org.junit.jupiter.api.Assertions.assertEquals(0.5f, v, 1e-3f); // (0.75 − 0.5) / 0.5, up to the luma weights' rounding
        }
    }
}
