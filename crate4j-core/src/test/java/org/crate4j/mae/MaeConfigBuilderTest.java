package org.crate4j.mae;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.crate4j.model.Attention;
import org.junit.jupiter.api.Test;

/** The builder behind MaeConfig's copy methods: each changes its fields alone. */
class MaeConfigBuilderTest {
    /** Every field away from the presets' values, so that a field the builder dropped would show. */
    private static final MaeConfig ODD = new MaeConfig(32, 8, 1, 48, 3, 4, 48, 2, 6, 0.2, 0.4, 0.6, true);

    @Test
    void everyPresetRoundTripsThroughItsBuilder() {
        MaePresets.all().forEach((name, c) -> assertEquals(c, c.toBuilder().build(), name));
        assertEquals(ODD, ODD.toBuilder().build());
    }

    @Test
    void eachCopyMethodChangesItsFieldsAndNothingElse() {
        assertEquals(new MaeConfig(32, 8, 1, 48, 3, 4, 48, 2, 6, 0.2, 0.4, 0.5, true), ODD.withMaskRatio(0.5));
        assertEquals(new MaeConfig(32, 8, 1, 48, 3, 4, 48, 2, 6, 0.2, 0.4, 0.6, false), ODD.withNormPixLoss(false));
        assertEquals(new MaeConfig(32, 8, 1, 48, 3, 4, 48, 2, 6, 0.3, 0.1, 0.6, true), ODD.withSparsity(0.3, 0.1));
        assertEquals(new MaeConfig(32, 8, 1, 48, 3, 2, 48, 2, 3, 0.2, 0.4, 0.6, true), ODD.withHeads(2, 3));
        assertEquals(new MaeConfig(32, 8, 3, 48, 3, 4, 48, 2, 6, 0.2, 0.4, 0.6, true), ODD.withChannels(3));
        assertEquals(new MaeConfig(32, 4, 1, 64, 5, 8, 64, 1, 8, 0.2, 0.4, 0.6, true), ODD.withShape(4, 64, 5, 8, 1));
        assertEquals(new MaeConfig(64, 8, 1, 48, 3, 4, 48, 2, 6, 0.2, 0.4, 0.6, true), ODD.withImageSize(64));
        assertEquals(new MaeConfig(32, 8, 1, 48, 3, 4, 48, 2, 6, 0.2, 0.4, 0.6, true, Attention.TSSA), ODD.withAttention(Attention.TSSA));
        assertEquals(ODD.withAttention(Attention.TSSA), ODD.withAttention(Attention.TSSA).toBuilder().build());
        assertEquals(ODD.withHeads(3, 2), ODD.with(b -> b.encoderHeads(3).decoderHeads(2)));
    }
}
