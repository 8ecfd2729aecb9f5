package org.crate4j.train;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.crate4j.engine.Precision;
import org.crate4j.model.Crate;

/** Runs a whole training job for the commands: the loop, then a summary line. */
public final class Training {
    private Training() {}

    /** Trains {@code model} where it lives (its {@link Crate#device()}). */
    public static Trainer.Summary run(Crate model, TrainData data, TrainOptions opt, Precision precision, PrintStream out) {
        return run(model, data, opt, precision, GradientSync.none(), out);
    }

    public static Trainer.Summary run(Crate model, TrainData data, TrainOptions opt, Precision precision,
            GradientSync sync, PrintStream out) {
        Map<String, String> meta = new LinkedHashMap<>(data.preprocessing(model.config().channels()).toMetadata());
        meta.put("source", "crate4j train on " + data.root());
        Trainer t = new Trainer(model, opt, precision, sync, meta, out);
        Trainer.Summary s = t.fit(data.train(), data.trainTransform(opt.augment(), model.config()), data.val(),
                data.evalTransform(opt.augment(), model.config()));
        if (sync.rank() == 0) {
            out.printf("done: top-1 %.2f%%, top-5 %.2f%% after %d steps (%.1f epochs) in %.1f min, %s img/s in train steps; "
                    + "checkpoints %s, metrics %s%n", 100 * s.top1(), 100 * s.top5(), s.steps(), s.epochs(),
                    s.seconds() / 60, Trainer.rate(s.imagesPerSec()), s.lastCheckpoint().getParent().resolve("{last,best}.safetensors"),
                    s.lastCheckpoint().getParent().resolve("metrics.{csv,jsonl}, curves.png"));
        }
        return s;
    }
}
