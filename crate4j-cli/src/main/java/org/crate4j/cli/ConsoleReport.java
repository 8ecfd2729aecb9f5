package org.crate4j.cli;

import java.io.PrintStream;
import org.crate4j.data.BadFiles;
import org.crate4j.train.ProgressListener;
import org.crate4j.train.TrainingListener;

/**
 * The training commands' console: one line per epoch and a closing summary, on stdout. Files that
 * could not be decoded are counted and named on both, never passed over in silence.
 */
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
            out.printf("epoch %.2f: train loss %.4f acc %.2f%% | val loss %.4f top-1 %.2f%% top-5 %.2f%% | %s img/s, data wait %.1f%% | %.0fs%s%n",
                    e.position(), e.metric("train_loss"), 100 * e.metric("train_top1"), e.metric("val_loss"), 100 * e.metric("val_top1"),
                    100 * e.metric("val_top5"), rate(e.imagesPerSec()), 100 * e.dataWait(), e.metric("seconds"), badFiles(e.badData()));
        } else {
            out.printf("epoch %.2f: train loss %.4f | held-out loss %.4f (%d images, fixed masks) | %s img/s | %.0fs%s%n", e.position(),
                    e.metric("train_loss"), e.metric("val_loss"), e.valImages(), rate(e.imagesPerSec()), e.metric("seconds"),
                    badFiles(e.badData()));
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
        summary("train", "replaced by other samples", end.badData().train());
        summary(task == Task.CLASSIFICATION ? "val" : "held-out", "left out of the evaluation", end.badData().val());
    }

    /** " | unreadable files: 2 in train, replaced (a.png, b.jpg); 1 in val, left out (c.png)", or nothing. */
    private String badFiles(BadData bad) {
        if (!bad.any()) {
            return "";
        }
        String train = bad.train().any() ? bad.train().count() + " in train, replaced (" + bad.train().names() + ")" : "";
        String val = bad.val().any() ? bad.val().count() + " in " + (task == Task.CLASSIFICATION ? "val" : "held-out") + ", left out ("
                + bad.val().names() + ")" : "";
        return " | unreadable files: " + train + (train.isEmpty() || val.isEmpty() ? "" : "; ") + val;
    }

    /** The run's unreadable files of one split with what is wrong with each (the first few). */
    private void summary(String split, String fate, BadFiles bad) {
        if (bad.any()) {
            out.printf("%s in %s, %s: %s%n", DataCheckOptions.count(bad), split, fate, bad.problems());
        }
    }

    /** Images per second with three significant digits (crate-tiny on a CPU trains a few per second). */
    static String rate(double imagesPerSec) {
        return imagesPerSec >= 100 ? String.format("%.0f", imagesPerSec) : String.format("%.3g", imagesPerSec);
    }
}
