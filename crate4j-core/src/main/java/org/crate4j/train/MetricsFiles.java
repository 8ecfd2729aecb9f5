package org.crate4j.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * The run's metrics files as a listener: after every epoch its row goes to {@code metrics.csv}
 * and {@code metrics.jsonl} and the curves to {@code curves.png}, all in the run directory. A
 * resumed run keeps the rows up to where it resumes and replaces the rest.
 */
public final class MetricsFiles implements TrainingListener {
    private MetricsLog log;
    private Path dir;
    private Task task;

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
