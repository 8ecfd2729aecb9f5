package org.crate4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.crate4j.dist.DataParallel;
import org.crate4j.dist.DistEnv;
import org.crate4j.engine.Device;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.Presets;
import org.crate4j.train.GradientSync;
import org.crate4j.train.TrainData;
import org.crate4j.train.TrainOptions;
import org.crate4j.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import org.crate4j.zoo.Family;
import org.crate4j.zoo.Zoo;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains a classifier of any family from scratch (CRATE, CRATE-α, ViT, ToST: --model crate-alpha-fmnist, vit-fmnist, "
                + "tost-fmnist, …). With no --data: the default small CRATE on Fashion-MNIST, fitted to a 10-minute budget.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", description = "preset of any classifier family (default: crate-fmnist on Fashion-MNIST, else crate-tiny); "
            + "--dim, --depth, --heads, --patch, --pool, --patch-window and --patch-code apply to CRATE presets only")
    String model;
    @Option(names = "--recipe", defaultValue = "default",
            description = "default (Fashion-MNIST job) or imagenet (reference README: crate-tiny, Lion 2e-4, wd 0.05, batch 512, 200 epochs, smoothing 0.1)")
    String recipe;
    @Option(names = "--image-size", description = "input size (default: the preset's, or the data's for Fashion-MNIST)")
    Integer imageSize;
    @Option(names = "--dropout", defaultValue = "0", description = "dropout in attention (default: ${DEFAULT-VALUE})")
    double dropout;
    @Option(names = "--nproc", defaultValue = "auto",
            description = "processes on this machine, each taking a share of every batch (data parallel). auto: for the default "
                    + "Fashion-MNIST job on a CPU with 2 or more cores, 2 or 4 processes with the cores split between them "
                    + "(measured 1.5x faster than one process with all the threads), else 1 (default: ${DEFAULT-VALUE})")
    String nproc;
    @Spec
    CommandSpec spec;
    @Mixin
    ArchitectureOptions arch;
    @Mixin
    TrainOptionsMixin train;
    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        DistEnv env = DistEnv.fromEnvironment();
        runtime.device().require(); // before any process is launched or file written
        int local = env.distributed() ? 1 : localProcesses();
        if (local > 1) {
            int threads = runtime.threads > 0 ? runtime.threads : Math.max(1, Runtime.getRuntime().availableProcessors() / local);
            List<String> args = new ArrayList<>(); // the whole command line, "train" included
            args.addAll(spec.commandLine().getParseResult().originalArgs());
            args.add("--threads");
            args.add(String.valueOf(threads));
            System.out.printf("train: %d processes x %d thread%s on this machine, data parallel (--nproc 1 runs one process)%n",
                    local, threads, threads == 1 ? "" : "s");
            return LaunchCommand.runLocal(args, local, threads);
        }
        String setup = runtime.apply();
        Device device = DataParallel.deviceFor(env, runtime.device());
        return DataParallel.run(env, device, System.out, sync -> train(setup, env, device, sync));
    }

    /** How many local processes this job should split into (see --nproc). */
    private int localProcesses() {
        if (!nproc.equals("auto")) {
            try {
                int n = Integer.parseInt(nproc);
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // falls through to the message
            }
            throw new org.crate4j.CrateException("--nproc must be auto or a positive number, got '" + nproc + "'");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        boolean defaultJob = recipe.equals("default") && train.data == null && model == null
                && runtime.threads == 0 && !runtime.device().isCuda();
        if (!defaultJob || cores < 2) {
            return 1;
        }
        if (train.batch != null) { // --batch is per process: splitting would change the batch the user asked for
            System.out.println("train: one process because --batch is given (--nproc 2 splits the job; --batch is then per process)");
            return 1;
        }
        return cores < 4 ? 2 : 4;
    }

    private int train(String setup, DistEnv env, Device device, GradientSync sync) {
        boolean imagenet = recipe.equals("imagenet");
        if (!imagenet && !recipe.equals("default")) {
            throw new org.crate4j.CrateException("unknown --recipe '" + recipe + "': use default or imagenet");
        }
        TrainOptions base = imagenet ? TrainOptions.imagenetRecipe(null) : TrainOptions.fashionMnistDefaults(null);
        if (!imagenet && train.data != null) {
            base = base.with(b -> { b.timeBudgetMin = 0; b.epochs = 30; return b; });
        }
        TrainOptions opt = train.apply(base, "train", env.worldSize());
        TrainData data = DataParallel.localLeaderFirst(sync, () -> TrainData.open(train.data, train.valSplit, System.err));
        String preset = model != null ? model : (data.fashionMnist() && !imagenet ? "crate-fmnist" : "crate-tiny");
        int channels = data.train().channels();
        Family family = Zoo.family(preset);
        CrateConfig c = null;
        if (family == Family.CRATE) {
            c = Presets.get(preset);
            int size = imageSize != null ? imageSize : data.fashionMnist() && model == null ? 28 : c.imageHeight();
            c = arch.apply(c, size);
            c = c.withClasses(data.train().classes().size()).withChannels(channels).withImageSize(size, size).withDropout(dropout, 0);
        } else {
            arch.requireNone(preset);
        }
        if (imagenet && train.augment == null) {
            opt = opt.with(b -> { b.augment = "imagenet"; return b; });
        }
        if (sync.rank() == 0) {
            System.out.println("train " + preset + " on " + data.root() + " (" + data.train().size() + " train / " + data.val().size()
                    + " " + train.valSplit + " images, " + data.train().classes().size() + " classes); " + setup
                    + (env.distributed() ? "; " + env.worldSize() + " processes" : "")
                    + String.format("; global batch %d (%d per process%s), lr %.3g", opt.globalBatch(env.worldSize()), opt.batch(),
                            opt.accumSteps() > 1 ? " x " + opt.accumSteps() + " accumulated micro-batches" : "", opt.lr()));
        }
        org.crate4j.engine.Torch.seed(opt.seed());
        ImageClassifier m = c != null ? Crate.create(c, device) : Zoo.create(preset,
                new Zoo.Fit(channels, data.train().classes().size(), imageSize != null ? imageSize : 0, dropout), device);
        Training.builder().model(m).data(data).options(opt).precision(runtime.precision()).sync(sync)
                .listener(ConsoleReport.standard(System.out)).build().fit();
        return 0;
    }
}
