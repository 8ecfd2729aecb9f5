package org.crate4j.train;

import org.bytedeco.pytorch.global.torch;

/**
 * Seeds libtorch's generator at the start of every training step from (run seed, step, rank), so
 * whatever the step draws (dropout, masking noise) depends on nothing else: a resumed run draws
 * exactly what the uninterrupted one would have.
 */
final class StepSeed {
    private StepSeed() {}

    static void apply(long seed, long step, int rank) {
        torch.manual_seed(seed * 1_000_003L + step * 7919L + rank);
    }
}
