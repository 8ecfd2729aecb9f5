package org.crate4j.cli;

import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.dist.DataParallel;
import org.crate4j.dist.DistEnv;
import org.crate4j.engine.Device;
import org.crate4j.io.RunFolders;
import org.crate4j.model.Attention;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.Presets;
import org.crate4j.train.GradientSync;
import org.crate4j.train.TrainData;
import org.crate4j.train.TrainOptions;
import org.crate4j.train.Training;
import org.crate4j.train.RunSession;
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
    @Option(names = "--attention", paramLabel = "STEP", description = "CRATE presets: the compression step of every layer, mssa (the "
            + "reference's subspace self-attention, O(n^2) in the tokens) or tssa (ToST's token statistics self-attention, O(n), "
            + "under the same keys); default: mssa")
    String attention;
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
    @Mixin
    RunRecordOptions record;
    @Option(names = "--config", description = "run.json of an earlier run: train again with its resolved settings "
            + "(options given beside it override them; the run gets a folder of its own)")
    java.nio.file.Path config;

    @Override
    public Integer call() {
        DistEnv env = DistEnv.fromEnvironment();
        runtime.device().require(); // before any process is launched or file written
        arch.validate();
        int local = env.distributed() ? 1 : localProcesses();
        if (local > 1) {
            // the parent picks the run folder, so that every worker is handed the same one
            java.nio.file.Path dir = RunFolders.resolve(train.out, train.resume, record.overwrite, RunFolders.base("train"),
                    runName());
            int threads = runtime.threads > 0 ? runtime.threads : Math.max(1, Runtime.getRuntime().availableProcessors() / local);
            List<String> args = new ArrayList<>(); // the whole command line, "train" included
            args.addAll(spec.commandLine().getParseResult().originalArgs());
            args.add("--out");
            args.add(dir.toString());
            args.add("--threads");
            args.add(String.valueOf(threads));
            System.out.printf("train: %d processes x %d thread%s on this machine, data parallel (--nproc 1 runs one process)%n",
                    local, threads, threads == 1 ? "" : "s");
            return LaunchCommand.runLocal(args, local, threads, spec.commandLine().getParseResult().originalArgs());
        }
        String setup = runtime.apply();
        Device device = DataParallel.deviceFor(env, runtime.device());
        return DataParallel.run(env, device, System.out, sync -> train(setup, env, device, sync));
    }

    /** The name of a fresh run folder: the preset trained. */
    private String runName() {
        return model != null ? model : recipe.equals("imagenet") ? "crate-tiny" : train.data == null ? "crate-fmnist" : "crate-tiny";
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
        TrainData data = DataParallel.localLeaderFirst(sync, () -> TrainData.open(train.data, train.valSplit));
        String preset = model != null ? model : (data.fashionMnist() && !imagenet ? "crate-fmnist" : "crate-tiny");
        int channels = data.train().channels();
        Family family = Zoo.family(preset);
        CrateConfig c = null;
        if (family == Family.CRATE) {
            c = Presets.get(preset);
            int size = imageSize != null ? imageSize : data.fashionMnist() && model == null ? 28 : c.imageHeight();
            c = arch.apply(c, size);
            c = c.withClasses(data.train().classes().size()).withChannels(channels).withImageSize(size, size).withDropout(dropout, 0);
            c = attention != null ? c.withAttention(Attention.parse(attention)) : c;
        } else {
            arch.requireNone(preset);
            if (attention != null) {
                throw new org.crate4j.CrateException("--attention chooses CRATE's compression step, not " + preset + "'s: drop it");
            }
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
        try (RunSession session = RunSession.open(train.out, train.resume, record.overwrite, "train", preset, sync.rank() == 0,
                "training run")) {
            java.nio.file.Path dir = session.dir();
            if (dir == null) {
                throw new org.crate4j.CrateException("a data-parallel run needs --out on every rank (crate launch adds one)");
            }
            TrainOptions run = opt.with(b -> { b.outDir = dir; return b; });
            Map<String, Object> settings = RunRecordOptions.common(spec.commandLine().getParseResult().originalArgs(), runtime,
                    env.worldSize());
            org.crate4j.engine.Torch.seed(run.seed());
            ImageClassifier m = c != null ? Crate.create(c, device) : Zoo.create(preset,
                    new Zoo.Fit(channels, data.train().classes().size(), imageSize != null ? imageSize : 0, dropout), device);
            settings.put("resolved_argv", resolvedArgs(preset, c, m, run, env.worldSize()));
            settings.put("options", run);
            settings.put("model", Map.of("preset", preset, "config", c != null ? c : JsonParser.parseString(m.configJson())));
            settings.put("data", String.valueOf(data.root()));
            Training.builder().model(m).data(data).options(run).precision(runtime.precision()).sync(sync)
                    .listener(record.listeners(settings)).build().fit();
        }
        return 0;
    }

    /**
     * The command line that trains this run again whatever the defaults of a later version: every
     * option as resolved (recipe, preset, processes applied). {@code --config run.json} reads it.
     */
    private List<String> resolvedArgs(String preset, CrateConfig c, ImageClassifier m, TrainOptions o, int world) {
        List<String> a = new ArrayList<>(List.of("train", "--recipe", recipe, "--model", preset));
        if (train.data != null) {
            a.addAll(List.of("--data", train.data.toString()));
        }
        if (c != null) {
            add(a, "--val-split", train.valSplit, "--image-size", c.imageHeight(), "--dim", c.dim(), "--depth", c.depth(),
                    "--heads", c.heads(), "--patch", c.patchSize(), "--patch-window", c.patchWindow(), "--patch-code", c.patchCode(),
                    "--pool", c.pool().name().toLowerCase(java.util.Locale.ROOT), "--dropout", c.dropout());
            if (c.attention() != org.crate4j.model.Attention.MSSA) {
                add(a, "--attention", c.attention().name().toLowerCase(java.util.Locale.ROOT));
            }
            if (c.mssa() != org.crate4j.model.MssaOutput.FREE) {
                add(a, "--mssa", c.mssa());
            }
        } else { // the architecture flags shape CRATE only; the other families' presets fix theirs
            add(a, "--val-split", train.valSplit, "--image-size", m.sizes().imageHeight(), "--dropout", dropout);
        }
        add(a, "--batch", o.batch(), "--accum-steps", o.accumSteps(), "--optimizer", o.optimizer(), "--lr", o.lr(),
                "--min-lr", o.minLr(), "--wd", o.weightDecay(), "--warmup-epochs", o.warmupEpochs(),
                "--label-smoothing", o.labelSmoothing(), "--clip", o.clipNorm(), "--seed", o.seed(), "--workers", o.workers(),
                "--time-budget", o.timeBudgetMin(), "--augment", o.augment(), "--patch-dropout", o.patchDropout(),
                "--patch-dropout-until", o.patchDropoutUntil(), "--sam", o.sam(), "--nproc", world,
                "--device", runtime.device().toString(), "--precision", runtime.precision, "--threads", org.crate4j.engine.Torch.threads());
        if (o.epochs() > 0) {
            add(a, "--epochs", o.epochs());
        }
        return a;
    }

    private static void add(List<String> a, Object... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            a.add(pairs[i].toString());
            a.add(String.valueOf(pairs[i + 1]));
        }
    }
}
