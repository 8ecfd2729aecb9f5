package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;

/** The builder: every copy method changes its field alone, and the saved JSON is what it always was. */
class CrateConfigTest {
    /** Every field away from its default, so that a field the builder dropped would show. */
    private static final CrateConfig ODD = new CrateConfig(24, 40, 8, 1, 3, 48, 2, 3, 16, Pooling.MEAN, 0.2, 0.3, 0.1, 0.05,
            12, 20, 5, Attention.MSSA, MssaOutput.TIED);

    @Test
    void everyPresetRoundTripsThroughItsBuilderAndItsJson() {
        for (var e : Presets.all().entrySet()) {
            CrateConfig c = e.getValue();
            assertEquals(c, c.toBuilder().build(), e.getKey());
            assertEquals(c, ConfigJson.fromJson(ConfigJson.toJson(c)), e.getKey());
        }
        assertEquals(ODD, ODD.toBuilder().build());
    }

    @Test
    void eachCopyMethodChangesItsFieldsAndNothingElse() {
        assertEquals(new CrateConfig(32, 16, 8, 1, 3, 48, 2, 3, 16, Pooling.MEAN, 0.2, 0.3, 0.1, 0.05, 12, 20, 5, Attention.MSSA,
                MssaOutput.TIED), ODD.withImageSize(32, 16));
        assertEquals(new CrateConfig(24, 40, 8, 1, 7, 48, 2, 3, 16, Pooling.MEAN, 0.2, 0.3, 0.1, 0.05, 12, 20, 5, Attention.MSSA,
                MssaOutput.TIED), ODD.withClasses(7));
        assertEquals(new CrateConfig(24, 40, 8, 3, 3, 48, 2, 3, 16, Pooling.MEAN, 0.2, 0.3, 0.1, 0.05, 12, 20, 5, Attention.MSSA,
                MssaOutput.TIED), ODD.withChannels(3));
        assertEquals(new CrateConfig(24, 40, 8, 1, 3, 48, 2, 3, 16, Pooling.CLS, 0.2, 0.3, 0.1, 0.05, 12, 20, 5, Attention.MSSA,
                MssaOutput.TIED), ODD.withPool(Pooling.CLS));
        assertEquals(new CrateConfig(24, 40, 8, 1, 3, 48, 2, 3, 16, Pooling.MEAN, 0.5, 0.6, 0.1, 0.05, 12, 20, 5, Attention.MSSA,
                MssaOutput.TIED), ODD.withSparsity(0.5, 0.6));
        assertEquals(new CrateConfig(24, 40, 8, 1, 3, 48, 2, 3, 16, Pooling.MEAN, 0.2, 0.3, 0.4, 0.3, 12, 20, 5, Attention.MSSA,
                MssaOutput.TIED), ODD.withDropout(0.4, 0.3));
        assertEquals(new CrateConfig(24, 40, 8, 1, 3, 48, 2, 3, 16, Pooling.MEAN, 0.2, 0.3, 0.1, 0.05, 8, 20, 5, Attention.MSSA,
                MssaOutput.TIED), ODD.withPatchWindow(8));
        assertEquals(new CrateConfig(24, 40, 8, 1, 3, 48, 2, 3, 16, Pooling.MEAN, 0.2, 0.3, 0.1, 0.05, 12, 0, 5, Attention.MSSA,
                MssaOutput.TIED), ODD.withPatchCode(0));
        assertEquals(new CrateConfig(24, 40, 8, 1, 3, 48, 2, 3, 16, Pooling.MEAN, 0.2, 0.3, 0.1, 0.05, 12, 20, 0, Attention.MSSA,
                MssaOutput.TIED), ODD.withHeadHidden(0));
        assertEquals(new CrateConfig(24, 40, 8, 1, 3, 48, 2, 3, 16, Pooling.MEAN, 0.2, 0.3, 0.1, 0.05, 12, 20, 5, Attention.TSSA,
                MssaOutput.FREE), ODD.withMssa(MssaOutput.FREE).withAttention(Attention.TSSA));
        assertEquals(new CrateConfig(24, 40, 8, 1, 3, 48, 2, 6, 8, Pooling.MEAN, 0.2, 0.3, 0.1, 0.05, 12, 20, 5, Attention.MSSA,
                MssaOutput.TIED), ODD.withHeads(6, 8));
        assertEquals(ODD.withHeads(4, 12), ODD.with(b -> b.heads(4).headDim(12)));
    }

    @Test
    void theBuilderSplitsTheWidthAmongTheHeadsUnlessTheHeadWidthIsGiven() {
        assertEquals(CrateConfig.of(32, 8, 3, 10, 96, 2, 4), CrateConfig.builder().imageSize(32).patchSize(8).classes(10).dim(96)
                .depth(2).heads(4).build());
        assertEquals(24, CrateConfig.of(32, 8, 3, 10, 96, 2, 4).headDim());
        assertEquals(40, CrateConfig.builder().dim(96).heads(4).headDim(40).build().headDim());
        CrateException e = assertThrows(CrateException.class, () -> CrateConfig.of(32, 8, 3, 10, 96, 2, 5));
        assertEquals("heads 5 do not divide the width 96: choose heads among the divisors of 96", e.getMessage());
    }

    @Test
    void theSavedJsonIsWhatItWasBeforeTheBuilder() {
        assertEquals(JSON_FMNIST, ConfigJson.toJson(Presets.get("crate-fmnist")));
        assertEquals(JSON_ODD, ConfigJson.toJson(ODD));
    }

    // Written by the code before the builder existed (safetensors metadata "config").
    private static final String JSON_FMNIST = "{\"imageHeight\":28,\"imageWidth\":28,\"patchSize\":7,\"channels\":1,"
            + "\"numClasses\":10,\"dim\":128,\"depth\":6,\"heads\":4,\"headDim\":32,\"pool\":\"MEAN\",\"eta\":0.1,\"lambda\":0.1,"
            + "\"dropout\":0.0,\"embDropout\":0.0,\"patchWindow\":11,\"patchCode\":256,\"headHidden\":0}";
    private static final String JSON_ODD = "{\"imageHeight\":24,\"imageWidth\":40,\"patchSize\":8,\"channels\":1,"
            + "\"numClasses\":3,\"dim\":48,\"depth\":2,\"heads\":3,\"headDim\":16,\"pool\":\"MEAN\",\"eta\":0.2,\"lambda\":0.3,"
            + "\"dropout\":0.1,\"embDropout\":0.05,\"patchWindow\":12,\"patchCode\":20,\"headHidden\":5,\"mssa\":\"TIED\"}";
    @Test
    void utilisationCountsTheClassTokenLastLayerForItsOneQuery() {
        // image 8, patch 4: 4 patches + the class token = 5 tokens; width 8 in 2 heads of 4; 2 layers
        CrateConfig cls = CrateConfig.builder().imageSize(8).patchSize(4).channels(1).classes(3).dim(8).depth(2).heads(2).build();
        // a full layer: U 2·5·8·8 = 640, attention 2·2·2·5·5·4 = 800, projection 640, ISTA 640 = 2,720;
        // the class token's: U 640, attention 2·2·2·1·5·4 = 160, projection 2·1·8·8 = 128, ISTA 128 = 1,056
        assertEquals(2720 - 1056, cls.flopsPerImage() - cls.executedFlopsPerImage());
        CrateConfig mean = cls.withPool(Pooling.MEAN);
        assertEquals(mean.flopsPerImage(), mean.executedFlopsPerImage(), "mean pooling runs every token of the last layer");
        CrateConfig tssa = cls.withAttention(Attention.TSSA);
        assertEquals(tssa.flopsPerImage(), tssa.executedFlopsPerImage(), "TSSA runs every token of the last layer");
    }
}
