package org.crate4j.cli;

import java.io.PrintStream;
import org.crate4j.train.ProgressListener;
import org.crate4j.train.TrainingListener;

/** The training commands' console: one line per epoch and a closing summary, on stdout. */
final class ConsoleReport implements TrainingListener {
    private final PrintStream out;
    private Task task;

    ConsoleReport(PrintStream out) {
        this.out = out;
    }

    /** What every training command shows: the progress bar and these lines (the files are {@link RunRecordOptions}'). */
    static TrainingListener[] standard(PrintStream out) {
        return new TrainingListener[] {new ProgressListener(), new ConsoleReport(out)};
    }

    @Override
    public void onStart(Start start) {
        task = start.task();
    }

    @Override
    public void onEpoch(Epoch e) {
        if (task == Task.CLASSIFICATION) {
            out.printf("epoch %.2f: train loss %.4f acc %.2f%% | val loss %.4f top-1 %.2f%% top-5 %.2f%% | %s img/s, data wait %.1f%% | %.0fs%n",
                    e.position(), e.metric("train_loss"), 100 * e.metric("train_top1"), e.metric("val_loss"), 100 * e.metric("val_top1"),
                    100 * e.metric("val_top5"), rate(e.imagesPerSec()), 100 * e.dataWait(), e.metric("seconds"));
        } else {
            out.printf("epoch %.2f: train loss %.4f | held-out loss %.4f (%d images, fixed masks) | %s img/s | %.0fs%n", e.position(),
                    e.metric("train_loss"), e.metric("val_loss"), e.valImages(), rate(e.imagesPerSec()), e.metric("seconds"));
        }
    }

    @Override
    public void onEnd(End end) {
        java.nio.file.Path dir = end.lastCheckpoint().getParent();
        if (task == Task.CLASSIFICATION) {
            out.printf("done: top-1 %.2f%%, top-5 %.2f%% after %d steps (%.1f epochs) in %.1f min, %s img/s in train steps; "
                    + "checkpoints %s, metrics %s%n", 100 * end.metric("val_top1"), 100 * end.metric("val_top5"), end.steps(), end.epochs(),
                    end.seconds() / 60, rate(end.imagesPerSec()), dir.resolve("{last,best}.safetensors"),
                    dir.resolve("metrics.{csv,jsonl}, curves.png"));
        } else {
            out.printf("done: held-out loss %.4f (train %.4f) after %d steps (%.2f epochs) in %.1f min, %s img/s; "
                    + "checkpoint %s; metrics, curves.png and reconstructions.png in %s%n", end.metric("val_loss"), end.metric("train_loss"),
                    end.steps(), end.epochs(), end.seconds() / 60, rate(end.imagesPerSec()), end.lastCheckpoint(), dir);
        }
    }

    /** Images per second with three significant digits (crate-tiny on a CPU trains a few per second). */
    static String rate(double imagesPerSec) {
        return imagesPerSec >= 100 ? String.format("%.0f", imagesPerSec) : String.format("%.3g", imagesPerSec);
    }
}
