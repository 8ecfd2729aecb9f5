package org.crate4j.train;

import me.tongfei.progressbar.ProgressBar;

/**
 * A console progress bar per epoch (see {@link ProgressBars}: stderr, refreshed once a second)
 * showing the epoch's running loss and accuracy, the learning rate, images per second and the
 * share of time spent waiting for data.
 */
public final class ProgressListener implements TrainingListener {
    private ProgressBar bar;
    private double lossSum, correct, seen;

    @Override
    public void onEpochStart(int epoch, int stepsPerEpoch, int stepsDone) {
        close();
        bar = ProgressBars.start("epoch " + (epoch + 1), stepsPerEpoch, stepsDone, true);
        lossSum = correct = seen = 0;
    }

    @Override
    public void onStep(Step s) {
        lossSum += s.loss() * s.images();
        correct += s.accuracy() * s.images();
        seen += s.images();
        bar.step();
        String acc = Double.isNaN(s.accuracy()) ? "" : String.format(" acc %.1f%%", 100 * correct / seen);
        bar.setExtraMessage(String.format("loss %.4f%s lr %.2e %.0f img/s wait %.0f%%", lossSum / seen, acc, s.lr(),
                s.imagesPerSec(), 100 * s.dataWait()));
    }

    @Override
    public void onEpoch(Epoch epoch) {
        close();
    }

    @Override
    public void onEnd(End end) {
        close();
    }

    private void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
