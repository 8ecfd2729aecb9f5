package org.crate4j.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.data.InMemoryDataset;
import org.crate4j.data.Transform;
import org.crate4j.data.Transforms;
import org.crate4j.dist.DataParallel;
import org.crate4j.dist.DistEnv;
import org.crate4j.dist.Launcher;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;

/**
 * One process of the data-parallel tests: trains the toy model of {@link ResumeTest} with the rank
 * and world from the environment. Arguments: out dir, per-process batch, epochs, stop after step (0: never),
 * resume (true/false), and optionally accumulation steps (default 1).
 */
public final class DataParallelWorker {
    static final CrateConfig CONFIG = CrateConfig.of(8, 4, 1, 2, 16, 2, 2);
    static final Transform TRAIN_TF = Transforms.compose(Transforms.horizontalFlip(0.5), Transforms.normalize(new float[] {0.5f}, new float[] {0.5f}));
    static final Transform EVAL_TF = Transforms.normalize(new float[] {0.5f}, new float[] {0.5f});

    /** Rank 0's epoch lines on stdout, for the tests that wait for training to be under way. */
    static final TrainingListener EPOCH_LINES = new TrainingListener() {
        @Override
        public void onEpoch(Epoch e) {
            System.out.printf("epoch %.2f: train loss %.4f | val top-1 %.4f%n", e.position(), e.metric("train_loss"), e.metric("val_top1"));
        }
    };

    private DataParallelWorker() {}

    static TrainOptions options(Path out, int batch, int accumSteps, int epochs, boolean resume) {
        return TrainOptions.fashionMnistDefaults(out).with(b -> {
            b.epochs = epochs;
            b.batch = batch;
            b.accumSteps = accumSteps;
            b.timeBudgetMin = 0;
            b.warmupEpochs = 1;
            b.lr = 3e-3;
            b.resume = resume;
            b.workers = 1;
            b.clipNorm = 0; // clipping would hide a wrong gradient scale (AdamW's step cannot see it; its moments can)
            return b;
        });
    }

    /** Trains as one process of {@code sync}'s job; returns the trainer's summary. */
    static Trainer.Summary train(GradientSync sync, Path out, int batch, int accumSteps, int epochs, long stopAfter, boolean resume) {
        InMemoryDataset train = ResumeTest.toyData(64, 1), val = ResumeTest.toyData(16, 2);
        Torch.seed(11 + sync.rank()); // different on each rank: the broadcast from rank 0 must make them equal
        Crate model = Crate.create(CONFIG);
        Trainer t = new Trainer(model, options(out, batch, accumSteps, epochs, resume), Precision.FP32, sync, Map.of(),
                List.of(new MetricsFiles(), EPOCH_LINES));
        if (stopAfter > 0) {
            t.stopAfterStep(stopAfter);
        }
        return t.fit(train, TRAIN_TF, val, EVAL_TF);
    }

    /**
     * A JVM running this worker with the test classpath. C1 only: on two busy cores the
     * C2 compiler doubles a worker's start-up (libtorch loading: 5.5 s vs 2.4 s measured).
     */
    public static List<String> command() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new java.util.ArrayList<>(Launcher.javaCommand(cp, DataParallelWorker.class.getName()));
        cmd.add(1, "-XX:TieredStopAtLevel=1");
        return cmd;
    }

    public static void main(String[] args) {
        Torch.init();
        Torch.nativeWarnings(false); // as the commands run without --verbose
        Torch.setThreads(1);
        Path out = Path.of(args[0]);
        int batch = Integer.parseInt(args[1]), epochs = Integer.parseInt(args[2]);
        long stopAfter = Long.parseLong(args[3]);
        boolean resume = Boolean.parseBoolean(args[4]);
        int accumSteps = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        try {
            DataParallel.run(DistEnv.fromEnvironment(), Device.CPU, System.out,
                    sync -> train(sync, out, batch, accumSteps, epochs, stopAfter, resume));
        } catch (CrateException e) {
            System.err.println("crate: " + e.getMessage());
            System.exit(2);
        }
        System.exit(0);
    }
}
