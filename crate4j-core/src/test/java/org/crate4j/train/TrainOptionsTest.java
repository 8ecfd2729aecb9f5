package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;

/** A recipe's batch and learning rate refer to the global batch, whatever the number of processes. */
class TrainOptionsTest {
    static final TrainOptions RECIPE = TrainOptions.fashionMnistDefaults(null); // batch 128, lr 2e-3, min-lr 1e-5

    @Test
    void recipeBatchIsSplitOverTheProcesses() {
        TrainOptions two = RECIPE.forWorld(RECIPE, 2, false, false, false);
        assertEquals(64, two.batch());
        assertEquals(RECIPE.lr(), two.lr());
        assertEquals(128, RECIPE.forWorld(RECIPE, 1, false, false, false).batch());
        assertThrows(CrateException.class, () -> RECIPE.forWorld(RECIPE, 3, false, false, false));
    }

    @Test
    void explicitBatchScalesTheRecipeLearningRatesWithTheGlobalBatch() {
        TrainOptions flags = RECIPE.with(b -> { b.batch = 128; return b; });
        TrainOptions four = flags.forWorld(RECIPE, 4, true, false, false); // global 512 = 4 × the recipe's
        assertEquals(128, four.batch());
        assertEquals(8e-3, four.lr(), 1e-12);
        assertEquals(4e-5, four.minLr(), 1e-12);
        TrainOptions given = flags.with(b -> { b.lr = 1e-3; return b; }).forWorld(RECIPE, 4, true, true, false);
        assertEquals(1e-3, given.lr(), 0, "an explicit --lr is the global batch's and is kept");
    }

    @Test
    void accumulationStepsCountInTheGlobalBatch() {
        TrainOptions imagenet = TrainOptions.imagenetRecipe(null); // batch 512, Lion 2e-4
        TrainOptions micro = imagenet.with(b -> { b.batch = 64; b.accumSteps = 8; return b; }).forWorld(imagenet, 1, true, false, false);
        assertEquals(512, micro.globalBatch(1), "--batch 64 --accum-steps 8 is the recipe's batch 512");
        assertEquals(2e-4, micro.lr(), 1e-15, "so its learning rate stays");
        TrainOptions split = imagenet.with(b -> { b.accumSteps = 8; return b; }).forWorld(imagenet, 2, false, false, false);
        assertEquals(32, split.batch(), "without --batch: 512 / (2 processes × 8 steps)");
        CrateException e = assertThrows(CrateException.class,
                () -> RECIPE.with(b -> { b.accumSteps = 3; return b; }).forWorld(RECIPE, 1, false, false, false));
        assertEquals("the recipe's global batch 128 does not split over 1 processes × 3 accumulation steps: pass --batch (per process)",
                e.getMessage());
        assertThrows(CrateException.class, () -> RECIPE.with(b -> { b.accumSteps = 0; return b; }), "K ≥ 1 from Java too");
    }

    @Test
    void outOfRangeRegularisersAreRefusedInOneLine() {
        assertThrows(CrateException.class, () -> RECIPE.with(b -> { b.patchDropout = 1.0; return b; }));
        assertThrows(CrateException.class, () -> RECIPE.with(b -> { b.patchDropoutUntil = 1.5; return b; }));
        CrateException e = assertThrows(CrateException.class, () -> RECIPE.with(b -> { b.sam = -0.1; return b; }));
        assertEquals("--sam must be ≥ 0, got -0.1", e.getMessage());
    }
}
