package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.crate4j.engine.Precision;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;

/** The time-budget planner costs patch-dropout steps and full steps separately. */
class BudgetPlanTest {
    private static Trainer trainer(double patchDropout, double until) {
        TrainOptions o = TrainOptions.fashionMnistDefaults(null).with(b -> {
            b.patchDropout = patchDropout;
            b.patchDropoutUntil = until;
            return b;
        });
        return new Trainer(Crate.create(CrateConfig.of(8, 4, 1, 2, 16, 1, 2)), o, Precision.FP32, GradientSync.none(),
                Map.of(), List.of());
    }

    @Test
    void stepsFitTheTimeLeftAtEachPhasesCost() {
        assertEquals(500, trainer(0, 1).stepsWithin(0, 100, 0.1, 0.2), "no patch dropout: every step costs 0.2 s");
        // half of T at 0.1 s and half at 0.2 s: 0.15 T ≤ 100
        assertEquals(666, trainer(0.5, 0.5).stepsWithin(0, 100, 0.1, 0.2));
        // from step 400 of a plan whose switch is at 0.5 T: (0.5 T − 400) × 0.1 + 0.5 T × 0.2 ≤ 100 → T ≤ 933
        assertEquals(933, trainer(0.5, 0.5).stepsWithin(400, 100, 0.1, 0.2));
        // already past the switch: only full steps remain
        assertEquals(1100, trainer(0.5, 0.5).stepsWithin(600, 100, 0.1, 0.2));
    }

    @Test
    void patchDropoutStopsAtItsFractionOfThePlannedSteps() {
        Trainer t = trainer(0.25, 0.8);
        assertEquals(0.25, t.patchDropoutAt(799, 1000));
        assertEquals(0.0, t.patchDropoutAt(800, 1000));
        assertEquals(0.0, trainer(0, 1).patchDropoutAt(0, 1000));
    }
}
