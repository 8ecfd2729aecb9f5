package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.crate4j.engine.Precision;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;

/** The time-budget planner costs patch-dropout steps and full steps separately. */
class BudgetPlanTest {
    private static TrainOptions options(double patchDropout, double until) {
        return TrainOptions.fashionMnistDefaults(null).with(b -> {
            b.patchDropout = patchDropout;
            b.patchDropoutUntil = until;
            return b;
        });
    }

    private static BudgetPlanner planner(double patchDropout, double until) {
        return new BudgetPlanner(options(patchDropout, until).loop(), GradientSync.none(), 1);
    }

    private static ClassificationTask task(double patchDropout, double until) {
        return new ClassificationTask(Crate.create(CrateConfig.of(8, 4, 1, 2, 16, 1, 2)), options(patchDropout, until), Precision.FP32,
                GradientSync.none(), null, null);
    }

    @Test
    void stepsFitTheTimeLeftAtEachPhasesCost() {
        assertEquals(500, planner(0, 1).stepsWithin(0, 100, 0.1, 0.2), "no patch dropout: every step costs 0.2 s");
        // half of T at 0.1 s and half at 0.2 s: 0.15 T ≤ 100
        assertEquals(666, planner(0.5, 0.5).stepsWithin(0, 100, 0.1, 0.2));
        // from step 400 of a plan whose switch is at 0.5 T: (0.5 T − 400) × 0.1 + 0.5 T × 0.2 ≤ 100 → T ≤ 933
        assertEquals(933, planner(0.5, 0.5).stepsWithin(400, 100, 0.1, 0.2));
        // already past the switch: only full steps remain
        assertEquals(1100, planner(0.5, 0.5).stepsWithin(600, 100, 0.1, 0.2));
    }

    @Test
    void patchDropoutStopsAtItsFractionOfThePlannedSteps() {
        ClassificationTask t = task(0.25, 0.8);
        assertEquals(0.25, t.patchDropoutAt(799, 1000));
        assertEquals(0.0, t.patchDropoutAt(800, 1000));
        assertEquals(0.0, task(0, 1).patchDropoutAt(0, 1000));
    }
}
