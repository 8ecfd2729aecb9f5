package org.crate4j.train;

/**
 * Where a resumed run continues. With the same global batch, exactly where the checkpoint stopped
 * (mid-epoch too: the data order is a function of the epoch, so the same batches follow). Another
 * global batch means other batches: the run continues at the next epoch boundary, with the step
 * counters rescaled so that the schedule stays at the same fraction of training. An explicit
 * number of epochs then re-plans the schedule's length from there.
 */
final class ResumePosition {
    private ResumePosition() {}

    /**
     * @param s           the checkpoint's position
     * @param perEpoch    optimizer steps per epoch of this run
     * @param trainSize   training images
     * @param globalBatch images per optimizer step of this run
     * @param world       processes of this run
     * @param epochs      epochs asked for (0: keep the checkpoint's plan)
     */
    static TrainCheckpoint.State continued(TrainCheckpoint.State s, int perEpoch, int trainSize, int globalBatch, int world, int epochs) {
        if (s.globalBatch() != globalBatch && (s.globalBatch() > 0 || s.worldSize() != world)) {
            int epoch = s.batchInEpoch() == 0 ? s.epoch() : s.epoch() + 1;
            long step = s.globalStep(), total = s.totalSteps();
            if (s.globalBatch() > 0) {
                double oldPerEpoch = Math.max(1, trainSize / s.globalBatch());
                step = (long) epoch * perEpoch;
                total = Math.round(s.totalSteps() / oldPerEpoch * perEpoch);
            }
            s = new TrainCheckpoint.State(epoch, 0, step, total, s.optimizerSteps(), s.bestTop1(), s.optimizer(), world, s.seed(),
                    globalBatch);
        }
        if (epochs > 0 && (long) epochs * perEpoch != s.totalSteps()) {
            s = new TrainCheckpoint.State(s.epoch(), s.batchInEpoch(), s.globalStep(), (long) epochs * perEpoch,
                    s.optimizerSteps(), s.bestTop1(), s.optimizer(), s.worldSize(), s.seed(), s.globalBatch());
        }
        return s;
    }
}
