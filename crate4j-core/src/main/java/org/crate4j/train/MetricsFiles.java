package org.crate4j.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * The run's metrics files as a listener: after every epoch its row goes to {@code metrics.csv}
 * and {@code metrics.jsonl} and the curves to {@code curves.png}, all in the run directory. A
 * resumed run keeps the rows up to where it resumes and replaces the rest.
 */
public final class MetricsFiles implements TrainingListener {
    private final int logEvery;
    private MetricsLog log;
    private Path dir;
    private Task task;

    /** Epoch rows only. */
    public MetricsFiles() {
        this(0);
    }

    /** Epoch rows, and a step row every {@code logEvery} optimizer steps (0: none). */
    public MetricsFiles(int logEvery) {
        if (logEvery < 0) {
            throw new IllegalArgumentException("logEvery must be 0 (off) or positive, got " + logEvery);
        }
        this.logEvery = logEvery;
    }

    @Override
    public void onStep(Step s) {
        if (logEvery > 0 && s.step() % logEvery == 0) {
            log.addStep(stepRow(s), true);
        }
    }

    /** What a step row holds, for metrics.jsonl and TensorBoard alike. */
    static LinkedHashMap<String, Double> stepRow(Step s) {
        LinkedHashMap<String, Double> r = new LinkedHashMap<>();
        r.put("step", (double) s.step());
        r.put("epoch", s.epoch() + (double) s.stepInEpoch() / s.stepsPerEpoch());
        r.put("loss", s.loss());
        if (!Double.isNaN(s.accuracy())) {
            r.put("accuracy", s.accuracy());
        }
        r.put("lr", s.lr());
        r.put("grad_norm", s.gradNorm());
        r.put("images_per_sec", s.imagesPerSec());
        r.put("data_wait", s.dataWait());
        return r;
    }

    @Override
    public void onStart(Start start) {
        dir = start.outDir();
        task = start.task();
        log = new MetricsLog(dir, start.resumed());
        if (start.resumed()) {
            log.truncateAfter(start.startEpoch());
        }
    }

    @Override
    public void onEpoch(Epoch epoch) {
        log.add(new LinkedHashMap<>(epoch.metrics()));
        Path png = dir.resolve("curves.png");
        if (task == Task.CLASSIFICATION) {
            log.plot(png);
        } else {
            log.plotColumns(png, "CRATE-MAE pre-training", "loss on removed patches", "train_loss", "val_loss");
        }
    }
}
