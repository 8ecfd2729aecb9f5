package org.crate4j.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.OpProfiler;
import org.crate4j.engine.OpProfiler.Kind;
import org.crate4j.engine.Precision;
import org.crate4j.engine.ThreadShards;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;

/** Forward and train-step throughput of a model on random data, as medians after warm-up. */
public final class Benchmark {
    /**
     * Images/s and GFLOP/s are for the whole job: with {@code processes} > 1 each process runs
     * {@code batch} images per step and its gradients are averaged across processes. {@code shards}:
     * into how many row shards, one per thread, each process split its inference batch
     * ({@link ThreadShards}; 1: whole); the train step splits alike unless the model draws at random in training.
     */
    public record Result(String model, int batch, int processes, int threads, int shards, String precision, String device,
            double forwardImagesPerSec, double trainImagesPerSec, double forwardGflops, double trainGflops,
            long peakRssMb, long parameters, int steps) {}

    private Benchmark() {}

    public static Result run(String name, CrateConfig config, int batch, int steps, int warmup, Precision precision,
            Device device, boolean forwardOnly, Crate.AttentionKernel kernel) {
        return run(name, config, batch, steps, warmup, precision, device, forwardOnly, kernel, GradientSync.none());
    }

    /** Builds the model on {@code device} and times it there. */
    public static Result run(String name, CrateConfig config, int batch, int steps, int warmup, Precision precision,
            Device device, boolean forwardOnly, Crate.AttentionKernel kernel, GradientSync sync) {
        Bench b = Bench.build(config, batch, device, kernel);
        List<Double> fwd = new ArrayList<>();
        b.model.train(false);
        for (int i = 0; i < warmup + steps; i++) {
            long t0 = System.nanoTime();
            b.inferenceStep(precision);
            if (i >= warmup) {
                fwd.add((System.nanoTime() - t0) / 1e9);
            }
        }
        List<Double> train = new ArrayList<>();
        if (!forwardOnly) {
            Bench.Training t = b.training(precision, sync);
            for (int i = 0; i < warmup + steps; i++) {
                long t0 = System.nanoTime();
                t.step(Phases.NONE);
                if (i >= warmup) {
                    train.add((System.nanoTime() - t0) / 1e9);
                }
            }
        }
        double fs = median(fwd), ts = forwardOnly ? Double.NaN : median(train);
        double flops = config.executedFlopsPerImage();
        int jobImages = batch * sync.worldSize();
        int shards = sync.worldSize() == 1 ? ThreadShards.count(device, batch) : 1;
        return new Result(name, batch, sync.worldSize(), Torch.threads(), shards, precision.toString(), device.toString(),
                round(jobImages / fs), forwardOnly ? 0 : round(jobImages / ts),
                round(flops * jobImages / fs / 1e9), forwardOnly ? 0 : round(3 * flops * jobImages / ts / 1e9),
                MemoryStats.peakRssMb(), config.parameterCount(), steps);
    }

    /** Where a step tells its observer (the profile) that one of its phases ended. */
    interface Phases {
        Phases NONE = new Phases() {};

        default void ended(String phase) {}

        default void backward(Runnable backward) {
            backward.run();
        }
    }

    /** The model and the random batch the bench steps on. */
    record Bench(Crate model, Tensor images, Tensor labels) {
        static Bench build(CrateConfig config, int batch, Device device, Crate.AttentionKernel kernel) {
            Torch.seed(0);
            Crate model = Crate.create(config, device).attentionKernel(kernel);
            Tensor images = Torch.rand(model.device(), batch, config.channels(), config.imageHeight(), config.imageWidth());
            Tensor labels = Torch.randint(model.device(), config.numClasses(), batch);
            images.retainReference();
            labels.retainReference();
            return new Bench(model, images, labels);
        }

        void inferenceStep(Precision precision) {
            try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard();
                    Precision.Scope ac = precision.enter(model.device())) {
                Tensor logits = model.forward(images);
                OpProfiler.time(Kind.OTHER, () -> logits.sum()).item_double(); // item() waits for the result
            }
        }

        Training training(Precision precision, GradientSync sync) {
            model.train(true);
            AdamW opt = new AdamW(model.parameters().asMap(), 0.05, 0.9, 0.999, 1e-8);
            sync.prepare(model.parameters().tensors());
            sync.broadcast(model.parameters().tensors());
            return new Training(this, opt, LossScaler.forPrecision(precision), precision, sync);
        }

        /** A training step: label-smoothed cross-entropy, backward, AdamW (lr 1e-4, weight decay 0.05). */
        record Training(Bench b, AdamW opt, LossScaler scaler, Precision precision, GradientSync sync) {
            void step(Phases phases) {
                try (PointerScope scope = new PointerScope()) {
                    OpProfiler.run(Kind.OPTIMIZER, opt::zeroGrad);
                    int shards = sync.worldSize() == 1 && b.model.rowsIndependentInTraining()
                            ? ThreadShards.count(b.model.device(), b.images.size(0)) : 1;
                    if (shards > 1) { // as the training loop does: one row shard per thread (no profile runs here)
                        shardedBackward(shards);
                        scaler.step(opt, 1e-4, 0, b.model.parameters().tensors());
                        return;
                    }
                    Tensor loss = loss(b.images, b.labels);
                    phases.ended("forward");
                    phases.backward(() -> {
                        scaler.scale(loss).backward();
                        sync.averageGradients(b.model.parameters().tensors());
                    });
                    phases.ended("backward");
                    OpProfiler.run(Kind.OPTIMIZER, () -> scaler.step(opt, 1e-4, 0, b.model.parameters().tensors()));
                    loss.item_double();
                    phases.ended("update");
                }
            }

            /** The step's loss on {@code images}: forward and label-smoothed cross-entropy, both under the precision. */
            private Tensor loss(Tensor images, Tensor labels) {
                try (Precision.Scope ac = precision.enter(b.model.device())) {
                    Tensor logits = b.model.forward(images);
                    return OpProfiler.time(Kind.OTHER, () -> Losses.crossEntropy(logits, labels, 0.1));
                }
            }

            private void shardedBackward(int shards) {
                long batch = b.images.size(0);
                long[][] rows = ThreadShards.ranges(batch, shards);
                ThreadShards.backward(b.model.parameters().tensors(), shards, i -> {
                    Tensor loss = loss(b.images.narrow(0, rows[i][0], rows[i][1]), b.labels.narrow(0, rows[i][0], rows[i][1]));
                    double share = rows[i][1] / (double) batch;
                    return new ThreadShards.Loss<>(scaler.scale(loss.mul(new org.bytedeco.pytorch.Scalar(share))), loss.item_double());
                });
            }
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
