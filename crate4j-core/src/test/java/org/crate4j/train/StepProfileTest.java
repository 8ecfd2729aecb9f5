package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.crate4j.engine.Device;
import org.crate4j.engine.OpProfiler.Kind;
import org.crate4j.engine.Precision;
import org.crate4j.model.Crate;
import org.crate4j.model.Presets;
import org.junit.jupiter.api.Test;

/** The step profile accounts for the step's time: its kinds add up to the separately timed step, GEMMs a real share of it. */
class StepProfileTest {
    private static double sum(StepProfile.Phase p) {
        return p.seconds().values().stream().mapToDouble(Double::doubleValue).sum();
    }

    @Test
    void kindsAddUpToTheTimedStepAndGemmsTakeAShare() {
        StepProfile.Result r = StepProfile.run("crate-fmnist", Presets.get("crate-fmnist"), 64, 3, 1, Precision.FP32, Device.CPU,
                Crate.AttentionKernel.AUTO);
        double kinds = sum(r.forward()) + sum(r.backward()) + sum(r.update());
        double step = r.trainStepSeconds();
        // the marks cover the step: what they leave out (Java between operations, views) is a small part, never negative
        assertTrue(kinds <= step * 1.01 && kinds >= 0.85 * step, "kinds " + kinds + " s of a " + step + " s step");
        // backward is shared out between hooks: its parts are its wall time
        assertEquals(r.backward().wallSeconds(), sum(r.backward()), 0.02 * r.backward().wallSeconds());
        for (StepProfile.Phase p : new StepProfile.Phase[] {r.inference(), r.forward(), r.backward()}) {
            assertTrue(p.seconds().get(Kind.GEMM.key) > 0.1 * p.wallSeconds(), "GEMM share of " + p);
            assertTrue(p.seconds().get(Kind.LAYER_NORM.key) > 0, "LayerNorm in " + p);
            assertTrue(p.seconds().get(Kind.ATTENTION.key) > 0, "attention in " + p);
        }
        assertTrue(r.update().seconds().get(Kind.OPTIMIZER.key) > 0.5 * r.update().wallSeconds(), "optimizer in " + r.update());
        assertEquals(0, r.inference().seconds().get(Kind.OPTIMIZER.key));
    }
}
