package org.crate4j.train;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.crate4j.engine.Device;
import org.crate4j.engine.OpProfiler;
import org.crate4j.engine.OpProfiler.Kind;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;

/**
 * Where the bench's steps spend their time, by {@link OpProfiler.Kind}: the inference forward,
 * and the training step's forward (with the loss and the zeroing of the gradients), backward and
 * update, each the mean over the profiled steps after warm-up. What no mark covered (Java between
 * the operations, views) is a phase's {@code untimed} seconds.
 */
public final class StepProfile {
    /** Seconds by kind ({@link Kind#key}) and the phase's wall time. */
    public record Phase(Map<String, Double> seconds, double wallSeconds) {
        /** The wall time no kind accounts for. */
        public double untimed() {
            return wallSeconds - seconds.values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    /** {@code trainStepSeconds} is timed around whole training steps, apart from the phases. */
    public record Result(String model, int batch, int threads, String precision, String device, int steps,
            Phase inference, Phase forward, Phase backward, Phase update, double trainStepSeconds) {}

    private StepProfile() {}

    public static Result run(String name, CrateConfig config, int batch, int steps, int warmup, Precision precision,
            Device device, Crate.AttentionKernel kernel) {
        Benchmark.Bench b = Benchmark.Bench.build(config, batch, device, kernel);
        b.model().train(false);
        for (int i = 0; i < warmup; i++) {
            b.inferenceStep(precision);
        }
        Recorder rec = new Recorder();
        for (int i = 0; i < steps; i++) {
            try (OpProfiler prof = rec.begin(device)) {
                b.inferenceStep(precision);
                rec.ended("inference");
            }
        }
        Benchmark.Bench.Training t = b.training(precision, GradientSync.none());
        for (int i = 0; i < warmup; i++) {
            t.step(Benchmark.Phases.NONE);
        }
        long trainNanos = 0;
        for (int i = 0; i < steps; i++) {
            try (OpProfiler prof = rec.begin(device)) {
                long t0 = System.nanoTime();
                t.step(rec);
                trainNanos += System.nanoTime() - t0;
            }
        }
        return new Result(name, batch, Torch.threads(), precision.toString(), device.toString(), steps, rec.mean("inference", steps),
                rec.mean("forward", steps), rec.mean("backward", steps), rec.mean("update", steps), trainNanos / 1e9 / steps);
    }

    /** Sums each phase's kinds and wall time over the steps it sees. */
    private static final class Recorder implements Benchmark.Phases {
        private final Map<String, Map<Kind, Long>> kinds = new LinkedHashMap<>();
        private final Map<String, Long> walls = new LinkedHashMap<>();
        private OpProfiler prof;
        private long mark;

        OpProfiler begin(Device device) {
            prof = OpProfiler.start(device);
            mark = System.nanoTime();
            return prof;
        }

        @Override
        public void ended(String phase) {
            long now = System.nanoTime();
            walls.merge(phase, now - mark, Long::sum);
            prof.nextPhase().forEach((k, v) -> kinds.computeIfAbsent(phase, p -> new EnumMap<>(Kind.class)).merge(k, v, Long::sum));
            mark = now;
        }

        @Override
        public void backward(Runnable backward) {
            prof.backward(backward);
        }

        Phase mean(String phase, int steps) {
            Map<String, Double> s = new LinkedHashMap<>();
            Map<Kind, Long> k = kinds.getOrDefault(phase, Map.of());
            for (Kind kind : Kind.values()) {
                s.put(kind.key, k.getOrDefault(kind, 0L) / 1e9 / steps);
            }
            return new Phase(s, walls.getOrDefault(phase, 0L) / 1e9 / steps);
        }
    }
}
