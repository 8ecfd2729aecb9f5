package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;

/** One pooled PCA over separately given images, split back per image, is the fit of all their key features at once. */
class PcaMapsTest {
    @Test
    void eachImagesShareIsThePooledFitsRowsAndItsForegroundIsTheScaledFirstComponentAboveAHalf() {
        Torch.seed(5);
        TracedEncoder encoder = TracedEncoder.of(Crate.create(CrateConfig.of(16, 4, 3, 5, 16, 2, 2)));
        List<Tensor> images = List.of(torch.randn(1, 3, 16, 16), torch.randn(1, 3, 16, 16), torch.randn(1, 3, 16, 16));
        List<PcaMaps> maps = PcaMaps.of(encoder, images, 1);
        TensorVector all = new TensorVector();
        images.forEach(t -> all.push_back(FeaturePca.keyFeatures(encoder, t, 1)));
        FeaturePca.Result fit = FeaturePca.fit(torch.cat(all, 0), 4, 4, FeaturePca.COMPONENTS);
        assertEquals(3, maps.size());
        for (int b = 0; b < 3; b++) {
            PcaMaps m = maps.get(b);
            assertEquals(1, m.layer());
            assertEquals(3, m.pooledImages());
            assertEquals(4, m.components().length);
            assertArrayEquals(fit.explainedVarianceRatio(), m.explainedVarianceRatio(), 0);
            for (int c = 0; c < 4; c++) {
                assertArrayEquals(fit.component(b, c), m.components()[c], 0f, "image " + b + " component " + c);
            }
            float[] pc1 = m.scaled(0);
            for (int i = 0; i < m.patches(); i++) {
                assertEquals(pc1[i] > 0.5f, m.foreground()[i], "image " + b + " patch " + i);
            }
            assertArrayEquals(fit.rgb(b), m.rgb(), 0f);
        }
    }
}
