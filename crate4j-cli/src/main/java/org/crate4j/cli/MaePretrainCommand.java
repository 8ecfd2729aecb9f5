package org.crate4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.CrateException;
import org.crate4j.dist.DataParallel;
import org.crate4j.dist.DistEnv;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaePresets;
import org.crate4j.model.Attention;
import org.crate4j.train.GradientSync;
import org.crate4j.train.MaePretrainer;
import org.crate4j.train.PretrainOptions;
import org.crate4j.train.RunSession;
import org.crate4j.train.TrainData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "mae-pretrain", mixinStandardHelpOptions = true,
        description = {"Pre-trains CRATE-MAE by reconstructing masked patches, with the MAE recipe as defaults: AdamW "
                + "beta (0.9, 0.95), weight decay 0.05, lr = 1.5e-4 x batch / 256, 5 %% warm-up then cosine, mask ratio 0.75, "
                + "RandomResizedCrop(scale 0.2-1) and flip.",
                "With no --data: crate-mae-fmnist (dim 64, depth 4/2, patch 4, norm-pix loss) on Fashion-MNIST with batch 128 and "
                + "base lr 3e-3, its cosine fitted to a 15-minute budget.",
                "Writes DIR/last.safetensors (weights, optimizer state, position), metrics.{csv,jsonl}, curves.png and "
                + "reconstructions.png after every epoch.",
                "Data parallel under crate launch: crate launch --nproc N -- mae-pretrain ... (N processes on --batch B equal one on N x B)."})
final class MaePretrainCommand implements Callable<Integer> {
    @Option(names = "--data", description = "dataset dir: ImageNet-style folders, CIFAR binary or MNIST idx (default: Fashion-MNIST)")
    Path data;
    @Option(names = "--model", description = "crate-mae-* preset (default: crate-mae-fmnist on Fashion-MNIST, else crate-mae-base)")
    String model;
    @Option(names = "--dim", description = "override the preset's width (encoder and decoder)")
    Integer dim;
    @Option(names = "--depth", description = "override the preset's encoder depth")
    Integer depth;
    @Option(names = "--decoder-depth", description = "override the preset's decoder depth")
    Integer decoderDepth;
    @Option(names = "--heads", description = "override the preset's heads (encoder and decoder)")
    Integer heads;
    @Option(names = "--patch", description = "override the preset's patch size")
    Integer patch;
    @Option(names = "--image-size", description = "input size (default: the preset's)")
    Integer imageSize;
    @Option(names = "--attention", paramLabel = "STEP", description = "the compression step of every encoder and decoder layer: mssa "
            + "(the reference's subspace self-attention, O(n^2) in the tokens) or tssa (ToST's token statistics self-attention, O(n), "
            + "under the same keys plus a per-head temp); default: mssa")
    String attention;
    @Option(names = "--mask-ratio", defaultValue = "0.75", description = "fraction of patches removed (default: ${DEFAULT-VALUE})")
    double maskRatio;
    @Option(names = "--norm-pix-loss", negatable = true,
            description = "reconstruct per-patch normalised pixels, MAE's norm_pix_loss (default: the preset's; on for crate-mae-fmnist)")
    Boolean normPixLoss;
    @Option(names = "--epochs", description = "epochs (default: 800, the recipe's; on Fashion-MNIST or with --time-budget alone: fitted to the budget)")
    Integer epochs;
    @Option(names = "--time-budget", description = "minutes: stop cleanly, evaluate and save (default: 15 on Fashion-MNIST, else none)")
    Double budget;
    @Option(names = "--batch", description = "images per forward-backward pass and process (default: 256; 128 on Fashion-MNIST)")
    Integer batch;
    @Option(names = "--accum-steps", defaultValue = "1",
            description = "gradient accumulation: micro-batches of --batch per optimizer step; a step averages over batch x accum-steps "
                    + "images, the batch --blr scales with (default: ${DEFAULT-VALUE})")
    int accumSteps;
    @Option(names = "--blr", description = "base learning rate: lr = blr x batch x accum-steps x processes / 256 (default: 1.5e-4, "
            + "the recipe's; 3e-3 on Fashion-MNIST)")
    Double blr;
    @Option(names = "--lr", description = "absolute peak learning rate (overrides --blr)")
    Double lr;
    @Option(names = "--min-lr", defaultValue = "0", description = "final learning rate of the cosine (default: ${DEFAULT-VALUE})")
    double minLr;
    @Option(names = "--wd", defaultValue = "0.05", description = "decoupled weight decay, matrices only (default: ${DEFAULT-VALUE})")
    double wd;
    @Option(names = "--warmup-fraction", defaultValue = "0.05", description = "linear warm-up as a fraction of the steps (default: ${DEFAULT-VALUE}, the recipe's 40 of 800 epochs)")
    double warmup;
    @Option(names = "--crop-scale", defaultValue = "0.2", description = "smallest area fraction of RandomResizedCrop (default: ${DEFAULT-VALUE})")
    double cropScale;
    @Option(names = "--clip", defaultValue = "0", description = "global gradient-norm clip, 0 = off (default: ${DEFAULT-VALUE})")
    double clip;
    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--workers", defaultValue = "1", description = "data worker threads (default: ${DEFAULT-VALUE})")
    int workers;
    @Option(names = "--out", description = "run directory (default: a new folder runs/mae-pretrain/<date>-<model>, linked as runs/mae-pretrain/latest)")
    Path out;
    @Option(names = "--resume", description = "continue the run in --out exactly from its last checkpoint (its schedule is kept; a "
            + "--time-budget only stops this part); with another global batch (batch x accum-steps x processes) it continues at the "
            + "next epoch, its step counts rescaled")
    boolean resume;
    @Mixin
    DataCheckOptions dataCheck;
    @Mixin
    RuntimeOptions runtime;
    @Mixin
    RunRecordOptions record;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        DistEnv env = DistEnv.fromEnvironment();
        if (attention != null) {
            Attention.parse(attention); // a bad value fails before any data is read
        }
        runtime.device().require(); // before any file is written
        String setup = runtime.apply();
        Device device = DataParallel.deviceFor(env, runtime.device());
        return DataParallel.run(env, device, System.out, sync -> pretrain(setup, env, device, sync));
    }

    /** One process's share of the run (all of it without crate launch); rank 0 alone prints and writes. */
    private int pretrain(String setup, DistEnv env, Device device, GradientSync sync) {
        TrainData d = DataParallel.localLeaderFirst(sync, () -> TrainData.open(data, "val"));
        boolean fashion = data == null;
        String preset = model != null ? model : fashion ? "crate-mae-fmnist" : "crate-mae-base";
        if (!MaePresets.exists(preset)) {
            throw new CrateException("unknown MAE model '" + preset + "': choose one of " + String.join(", ", MaePresets.all().keySet()));
        }
        MaeConfig c = config(MaePresets.get(preset), d.train().channels());
        int world = env.worldSize();
        PretrainOptions opt = options(fashion, world);
        Map<String, String> meta = new LinkedHashMap<>(d.preprocessing(c.channels()).toMetadata());
        meta.put("source", "crate4j mae-pretrain on " + d.root());
        if (sync.rank() == 0) {
            System.out.printf("mae-pretrain %s (dim %d, depth %d/%d, heads %d%s, patch %d, image %d, %,d parameters) on %s (%d train / %d "
                    + "held-out images); mask ratio %.2f%s, batch %d%s, lr %.3g, %s; %s%n", preset, c.encoderDim(), c.encoderDepth(),
                    c.decoderDepth(), c.encoderHeads(), c.attention() == Attention.TSSA ? ", TSSA" : "", c.patchSize(), c.imageSize(),
                    c.parameterCount(), d.root(), d.train().size(),
                    d.val().size(), c.maskRatio(), c.normPixLoss() ? ", norm-pix loss" : "", opt.globalBatch(world), batchParts(opt, world),
                    opt.lr(), opt.epochs() > 0 ? opt.epochs() + " epochs" : "schedule fitted to " + opt.timeBudgetMin() + " min", setup);
        }
        try (RunSession session = RunSession.open(out, resume, record.overwrite, "mae-pretrain", preset, sync.rank() == 0,
                "pre-training run")) {
            if (session.dir() == null) {
                throw new CrateException("a data-parallel run needs --out on every rank (crate launch adds one)");
            }
            PretrainOptions run = opt.with(o -> { o.outDir = session.dir(); return o; });
            Map<String, Object> settings = RunRecordOptions.common(spec.commandLine().getParseResult().originalArgs(), runtime, world);
            settings.put("options", run);
            settings.put("model", Map.of("preset", preset, "config", c));
            settings.put("data", String.valueOf(d.root()));
            Torch.seed(run.seed());
            CrateMae m = CrateMae.create(c, device);
            new MaePretrainer(m, run, runtime.precision(), sync, meta, List.of(record.listeners(settings)))
                    .fit(d.train(), d.pretrainTransform(c.channels(), c.imageSize(), run.cropScaleMin()), d.val(),
                            d.evalTransform(c.channels(), c.imageSize(), c.imageSize()));
        }
        return 0;
    }

    /** How the global batch is made: micro-batches accumulated, processes. */
    private static String batchParts(PretrainOptions o, int world) {
        List<String> parts = new java.util.ArrayList<>();
        if (o.accumSteps() > 1) {
            parts.add(o.accumSteps() + " accumulated micro-batches of " + o.batch());
        }
        if (world > 1) {
            parts.add(world + " processes x " + o.batch() * o.accumSteps());
        }
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }

    private MaeConfig config(MaeConfig c, int dataChannels) {
        if (dim != null || depth != null || heads != null || patch != null || decoderDepth != null) {
            c = c.withShape(patch != null ? patch : c.patchSize(), dim != null ? dim : c.encoderDim(),
                    depth != null ? depth : c.encoderDepth(), heads != null ? heads : c.encoderHeads(),
                    decoderDepth != null ? decoderDepth : c.decoderDepth());
        }
        if (imageSize != null) {
            c = c.withImageSize(imageSize);
        }
        if (attention != null) {
            c = c.withAttention(Attention.parse(attention));
        }
        c = c.withChannels(dataChannels).withMaskRatio(maskRatio);
        return normPixLoss == null ? c : c.withNormPixLoss(normPixLoss);
    }

    private PretrainOptions options(boolean fashion, int world) {
        PretrainOptions base = fashion ? PretrainOptions.fashionMnist(out) : PretrainOptions.recipe(out, 256);
        int b = batch != null ? batch : base.batch();
        double minutes = budget != null ? budget : epochs == null ? base.timeBudgetMin() : 0;
        int planned = epochs != null ? epochs : minutes > 0 ? 0 : base.epochs();
        double baseLr = blr != null ? blr : base.lr() * 256.0 / base.batch();
        return base.with(o -> {
            o.batch = b;
            o.epochs = planned;
            o.timeBudgetMin = minutes;
            o.lr = lr != null ? lr : PretrainOptions.scaledLr(baseLr, b * accumSteps * world);
            o.accumSteps = accumSteps;
            o.minLr = minLr;
            o.weightDecay = wd;
            o.warmupFraction = warmup;
            o.cropScaleMin = cropScale;
            o.clipNorm = clip;
            o.seed = seed;
            o.workers = workers;
            o.outDir = out;
            o.resume = resume;
            o.strictData = dataCheck.strict;
            return o;
        });
    }
}
