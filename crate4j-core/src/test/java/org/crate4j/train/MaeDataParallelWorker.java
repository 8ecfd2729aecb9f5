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
import org.crate4j.mae.CrateMae;

/**
 * One process of the CRATE-MAE data-parallel tests: pre-trains {@link MaePretrainerTest#TOY} with
 * the rank and world from the environment. Arguments: out dir, per-process batch, epochs, stop after
 * step (0: never), resume (true/false).
 */
public final class MaeDataParallelWorker {
    static final Transform TRAIN_TF = Transforms.compose(Transforms.randomResizedCrop(8, 8, 0.5, 1, 3.0 / 4, 4.0 / 3),
            Transforms.horizontalFlip(0.5), MaePretrainerTest.NORMALISE);

    private MaeDataParallelWorker() {}

    static PretrainOptions options(Path out, int batch, int epochs, boolean resume) {
        return PretrainOptions.recipe(out, batch).with(b -> {
            b.epochs = epochs;
            b.lr = 3e-3;
            b.warmupFraction = 0.2;
            b.workers = 1;
            b.resume = resume;
            b.clipNorm = 0; // clipping would hide a wrong gradient scale
            return b;
        });
    }

    /** Pre-trains as one process of {@code sync}'s job. */
    static MaePretrainer.Summary train(GradientSync sync, Path out, int batch, int epochs, long stopAfter, boolean resume) {
        InMemoryDataset train = ResumeTest.toyData(64, 1), val = ResumeTest.toyData(16, 2);
        Torch.seed(11 + sync.rank()); // different on each rank: the broadcast from rank 0 must make them equal
        CrateMae model = CrateMae.create(MaePretrainerTest.TOY);
        MaePretrainer p = new MaePretrainer(model, options(out, batch, epochs, resume), Precision.FP32, sync,
                Map.of("mean", "[0.5]", "std", "[0.5]"), List.of(new MetricsFiles()));
        if (stopAfter > 0) {
            p.stopAfterStep(stopAfter);
        }
        return p.fit(train, TRAIN_TF, val, MaePretrainerTest.NORMALISE);
    }

    /** A JVM running this worker with the test classpath (C1 only, as {@link DataParallelWorker#command()}). */
    static List<String> command() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new java.util.ArrayList<>(Launcher.javaCommand(cp, MaeDataParallelWorker.class.getName()));
        cmd.add(1, "-XX:TieredStopAtLevel=1");
        return cmd;
    }

    public static void main(String[] args) {
        Torch.init();
        Torch.setThreads(1);
        Path out = Path.of(args[0]);
        int batch = Integer.parseInt(args[1]), epochs = Integer.parseInt(args[2]);
        long stopAfter = Long.parseLong(args[3]);
        boolean resume = Boolean.parseBoolean(args[4]);
        try {
            DataParallel.run(DistEnv.fromEnvironment(), Device.CPU, System.out, sync -> train(sync, out, batch, epochs, stopAfter, resume));
        } catch (CrateException e) {
            System.err.println("crate: " + e.getMessage());
            System.exit(2);
        }
        System.exit(0);
    }
}
