package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.crate4j.CrateException;
import org.crate4j.alpha.AlphaConfig;
import org.crate4j.alpha.CrateAlpha;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.tost.Tost;
import org.crate4j.tost.TostConfig;
import org.crate4j.vit.VisionTransformer;
import org.crate4j.vit.VitConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the four classifier families share through their base: config, sizes, device, mode and the input check. */
class AbstractClassifierTest {
    @BeforeAll
    static void natives() {
        Torch.init();
    }

    private static List<AbstractClassifier<?, ?>> families() {
        Torch.seed(3);
        return List.of(
                Crate.create(CrateConfig.builder().imageSize(8).patchSize(4).channels(1).classes(3).dim(16).depth(2).heads(2).build()),
                CrateAlpha.create(AlphaConfig.builder().imageSize(8).patchSize(4).channels(1).classes(3).dim(16).depth(2).heads(2)
                        .build()),
                VisionTransformer.create(VitConfig.builder().imageSize(8).patchSize(4).channels(1).classes(3).dim(16).depth(2)
                        .heads(2).build()),
                Tost.create(TostConfig.builder().imageSize(32).patchSize(8).channels(1).classes(3).dim(16).depth(2).heads(2)
                        .build()));
    }

    @Test
    void everyFamilyReportsItsConfigsSizesAndCountsItsTrainableTensors() {
        for (AbstractClassifier<?, ?> m : families()) {
            ClassifierShape c = m.config();
            assertEquals(new ImageClassifier.Sizes(1, c.imageHeight(), c.imageWidth(), c.patchSize(), 3, 16, 2), m.sizes(),
                    m.familyName());
            assertEquals(m.config().parameterCount(), m.parameters().count(), m.familyName());
            assertEquals(m.kinds().keySet(), m.stateDict().keySet(), m.familyName());
        }
    }

    @Test
    void trainAndToChainOnTheFamilysOwnTypeAndMovingToTheSameDeviceIsANoOp() {
        for (AbstractClassifier<?, ?> m : families()) {
            assertFalse(m.isTraining(), m.familyName());
            assertSame(m, m.train(true), m.familyName());
            assertTrue(m.isTraining(), m.familyName());
            assertSame(m, m.to(Device.CPU), m.familyName());
            assertEquals(Device.CPU, m.device(), m.familyName());
        }
        Crate crate = Crate.create(CrateConfig.of(8, 4, 1, 3, 16, 1, 2)).train(false).to(Device.CPU); // typed as Crate
        assertFalse(crate.isTraining());
    }

    @Test
    void imagesOfTheWrongChannelsOrSizeFailWithOneLine() {
        for (AbstractClassifier<?, ?> m : families()) {
            CrateException e = assertThrows(CrateException.class, () -> m.forward(Torch.zeros(Device.CPU, 2, 3, 8, 8)));
            assertTrue(e.getMessage().matches(".* expects images \\(B, 1, H, W\\), got \\[2, 3, 8, 8\\]"), e.getMessage());
        }
        CrateException e = assertThrows(CrateException.class,
                () -> families().get(0).forward(Torch.zeros(Device.CPU, 2, 1, 8, 10)));
        assertEquals("image 8x10 is not divisible by the patch size 4", e.getMessage());
    }
}
