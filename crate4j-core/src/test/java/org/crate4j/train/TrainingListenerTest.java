package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run configured through {@link Training#builder} tells a listener from Java of every step, epoch and checkpoint. */
class TrainingListenerTest {
    @TempDir
    Path tmp;

    /** Keeps every event, and their order as short names. */
    static final class Recorder implements TrainingListener {
        final List<String> order = new ArrayList<>();
        final List<Start> starts = new ArrayList<>();
        final List<Step> steps = new ArrayList<>();
        final List<Epoch> epochs = new ArrayList<>();
        final List<Path> files = new ArrayList<>();
        final List<Checkpoint> kinds = new ArrayList<>();
        final List<End> ends = new ArrayList<>();

        @Override public void onStart(Start s) { order.add("start"); starts.add(s); }
        @Override public void onEpochStart(int epoch, int stepsPerEpoch, int done) { order.add("epochStart " + epoch + " " + done); }
        @Override public void onStep(Step s) { order.add("step"); steps.add(s); }
        @Override public void onEpoch(Epoch e) { order.add("epoch"); epochs.add(e); }
        @Override public void onCheckpoint(Path f, Checkpoint k) { order.add(k.name()); files.add(f); kinds.add(k); }
        @Override public void onEnd(End e) { order.add("end"); ends.add(e); }
    }

    @Test
    void aListenerRegisteredFromJavaHearsEveryStepEpochAndCheckpoint() {
        Recorder r = new Recorder();
        Torch.seed(11);
        Training training = Training.builder()
                .model(Crate.create(DataParallelWorker.CONFIG))
                .data(ResumeTest.toyData(48, 1), ResumeTest.toyData(16, 2))
                .epochs(2).batch(8).accumSteps(2).lr(3e-3)
                .options(o -> { o.warmupEpochs = 1; o.workers = 1; return o; })
                .outDir(tmp)
                .listener(r, new MetricsFiles())
                .build();
        Trainer.Summary summary = training.fit();

        // 48 images / (8 × 2) per step = 3 steps per epoch, 2 epochs
        assertEquals(1, r.starts.size());
        TrainingListener.Start start = r.starts.get(0);
        assertEquals(List.of(6L, 3, 16, 2, 0L, false), List.of(start.totalSteps(), start.stepsPerEpoch(), start.imagesPerStep(),
                start.accumSteps(), start.firstStep(), start.resumed()));
        assertEquals(TrainingListener.Task.CLASSIFICATION, start.task());
        assertEquals(6, r.steps.size());
        TrainOptions o = training.options();
        LrSchedule schedule = new LrSchedule(o.lr(), o.minLr(), 3, 6);
        for (int i = 0; i < 6; i++) {
            TrainingListener.Step s = r.steps.get(i);
            assertEquals(List.of(i + 1L, i / 3, i % 3 + 1, 3, 16), List.of(s.step(), s.epoch(), s.stepInEpoch(), s.stepsPerEpoch(), s.images()));
            assertEquals(schedule.at(i), s.lr(), 0, "the lr the step used");
            assertTrue(s.loss() > 0 && Double.isFinite(s.loss()), "loss " + s.loss());
            assertTrue(s.gradNorm() > 0 && Double.isFinite(s.gradNorm()), "gradient norm " + s.gradNorm());
            assertTrue(s.accuracy() >= 0 && s.accuracy() <= 1 && s.imagesPerSec() > 0, s.toString());
        }

        assertEquals(2, r.epochs.size());
        List<Map<String, Double>> rows = new MetricsLog(tmp, true).rows();
        double best = 0;
        int bests = 0;
        for (int e = 0; e < 2; e++) {
            TrainingListener.Epoch epoch = r.epochs.get(e);
            assertEquals(List.of(e, e + 1.0, 3L * (e + 1), 16L), List.of(epoch.epoch(), epoch.position(), epoch.step(), epoch.valImages()));
            List<TrainingListener.Step> its = r.steps.subList(3 * e, 3 * e + 3);
            assertEquals(its.stream().mapToDouble(s -> s.loss() * s.images()).sum() / 48, epoch.metric("train_loss"), 1e-12,
                    "the epoch's train loss is the mean of its steps'");
            assertEquals(its.stream().mapToDouble(s -> s.accuracy() * s.images()).sum() / 48, epoch.metric("train_top1"), 1e-12);
            assertEquals(its.get(2).lr(), epoch.metric("lr"), 0);
            assertEquals(rows.get(e), epoch.metrics(), "metrics.jsonl holds the rows the listener heard");
            if (epoch.metric("val_top1") > best) {
                best = epoch.metric("val_top1");
                bests++;
            }
        }

        assertEquals(2, r.kinds.stream().filter(k -> k == TrainingListener.Checkpoint.LAST).count(), "last.safetensors after each epoch");
        assertEquals(bests, r.kinds.stream().filter(k -> k == TrainingListener.Checkpoint.BEST).count(), "best.safetensors when top-1 improved");
        assertTrue(bests > 0, "the toy set is learnable: top-1 rose above 0 at least once");
        r.files.forEach(f -> assertTrue(Files.isRegularFile(f), f + " written before it was announced"));
        assertEquals(tmp.resolve("last.safetensors"), r.files.get(0));

        List<String> expected = new ArrayList<>(List.of("start", "epochStart 0 0", "step", "step", "step", "epoch", "LAST"));
        if (r.order.get(7).equals("BEST")) {
            expected.add("BEST");
        }
        expected.addAll(List.of("epochStart 1 0", "step", "step", "step", "epoch", "LAST"));
        if (r.order.get(r.order.size() - 2).equals("BEST")) {
            expected.add("BEST");
        }
        expected.add("end");
        assertEquals(expected, r.order);

        assertEquals(1, r.ends.size());
        TrainingListener.End end = r.ends.get(0);
        assertEquals(List.of(6L, 2.0), List.of(end.steps(), end.epochs()));
        assertEquals(summary.top1(), end.metric("val_top1"), 0);
        assertEquals(r.epochs.get(1).metric("val_top1"), end.metric("val_top1"), 0);
    }

    @Test
    void aRunNeedsALength() {
        Training.Builder b = Training.builder().model(Crate.create(DataParallelWorker.CONFIG))
                .data(ResumeTest.toyData(8, 1), ResumeTest.toyData(8, 2));
        IllegalStateException e = assertThrows(IllegalStateException.class, b::build);
        assertEquals("Training needs epochs(n) or timeBudgetMinutes(m)", e.getMessage());
    }
}
