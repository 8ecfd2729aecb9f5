package org.crate4j.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.crate4j.io.TensorBoardEvents;

/**
 * The run's scalars as TensorBoard event files in the run folder, so that {@code tensorboard
 * --logdir runs} shows every run: {@code train/*} every N optimizer steps, {@code val/*} and the
 * epoch's training figures after each epoch, all against the global step. A resumed run opens a
 * new event file; TensorBoard reads the folder's files as one run.
 */
public final class TensorBoardListener implements TrainingListener {
    private final int every;
    private TensorBoardEvents events;

    /** Step scalars every {@code every} steps (0: epoch scalars only). */
    public TensorBoardListener(int every) {
        this.every = every;
    }

    @Override
    public void onStart(Start start) {
        events = TensorBoardEvents.create(start.outDir());
    }

    @Override
    public void onStep(Step s) {
        if (every > 0 && s.step() % every == 0) {
            Map<String, Double> v = new LinkedHashMap<>();
            MetricsFiles.stepRow(s).forEach((k, x) -> {
                if (!k.equals("step") && !k.equals("epoch") && Double.isFinite(x)) {
                    v.put("train/" + k, x);
                }
            });
            events.scalars(s.step(), v);
        }
    }

    @Override
    public void onEpoch(Epoch e) {
        Map<String, Double> v = new LinkedHashMap<>();
        e.metrics().forEach((k, x) -> {
            if (!k.equals("step") && !k.equals("seconds") && Double.isFinite(x)) {
                v.put(k.startsWith("val_") ? "val/" + k.substring(4) : k.startsWith("train_") ? "epoch/" + k.substring(6) : "epoch/" + k, x);
            }
        });
        events.scalars(e.step(), v);
    }

    @Override
    public void onEnd(End end) {
        if (events != null) {
            events.close();
        }
    }
}
