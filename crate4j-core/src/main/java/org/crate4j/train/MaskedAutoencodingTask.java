package org.crate4j.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.data.BadFiles;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Dataset;
import org.crate4j.data.Datasets;
import org.crate4j.data.FloatImage;
import org.crate4j.data.Preprocessing;
import org.crate4j.data.Transform;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaeWeights;
import org.crate4j.mae.Masking;
import org.crate4j.model.ParameterKind;
import org.crate4j.model.Parameters;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.ReconstructionSheet;

/**
 * CRATE-MAE pre-training (docs/architecture.md §2): masked-patch reconstruction, a held-out reconstruction loss
 * with fixed masks every epoch, and a sheet of reconstructions.
 *
 * <p>The masks of a training micro-batch are drawn for the whole global micro-batch, alike on
 * every process (the loop seeds every rank the same for this task), and each process keeps the
 * rows of its own samples: rank r holds the global batch's samples r, r + W, r + 2W, … (the
 * DistributedSampler's interleave, see {@link DataLoader#shard}), so a sample is masked the same
 * way whatever the number of processes, and W processes on batch B equal one on W·B. On one
 * process this is the plain draw of B rows.
 */
final class MaskedAutoencodingTask implements TrainingTask {
    /** Held-out images for the per-epoch loss (with fixed masks) and the reconstruction sheet. */
    static final int VAL_IMAGES = 2000, SHEET_IMAGES = 8;
    /** Masks of the held-out images: a function of the image index alone. */
    static final long VAL_MASK_SEED = 12345;

    private final CrateMae model;
    private final Precision precision;
    private final GradientSync sync;
    private final Map<String, String> metadata;
    private final Dataset held;
    private final Transform valTf;
    private final DataLoader valLoader;
    /** The held-out entries no process could read, as of the last evaluation (the sheet leaves them out). */
    private int[] unreadable = new int[0];

    /** @param val the held-out split's source (its first {@value #VAL_IMAGES} images; null: a task that only steps) */
    MaskedAutoencodingTask(CrateMae model, PretrainOptions opt, Precision precision, GradientSync sync, Map<String, String> metadata,
            Dataset val, Transform valTf) {
        this.model = model;
        this.precision = precision;
        this.sync = sync;
        this.metadata = metadata;
        this.held = val == null ? null : Datasets.head(val, VAL_IMAGES);
        this.valTf = valTf;
        this.valLoader = val == null ? null : new DataLoader(held, valTf, Math.max(opt.batch(), 256), false, false, opt.seed(),
                opt.workers(), 2).shard(sync.rank(), sync.worldSize()).onBadFile(DataIntegrity.forEvaluation(opt.strictData()));
    }

    @Override public TrainingListener.Task kind() { return TrainingListener.Task.MASKED_AUTOENCODING; }
    @Override public CheckpointKind checkpointKind() { return CheckpointKind.MAE; }
    @Override public Parameters parameters() { return model.parameters(); }
    @Override public Map<String, Tensor> checkpointTensors() { return model.stateDict(); }
    @Override public Device device() { return model.device(); }
    @Override public void train(boolean on) {} // CRATE-MAE has no dropout
    @Override public boolean drawsPerRank() { return false; }
    @Override public boolean leavesParametersUnused() { return true; } // decoder_embed

    /** By kind: matrices decay; biases, norms, tokens and TSSA's temperatures do not (for MSSA the name-and-rank rule's choice). */
    @Override
    public Predicate<String> decays() {
        Map<String, ParameterKind> kinds = model.kinds();
        return name -> kinds.get(name).decays();
    }

    @Override
    public Map<String, String> checkpointMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", MaeWeights.FORMAT);
        m.put("config", MaeWeights.configToJson(model.config()));
        return m;
    }

    @Override
    public Loss loss(Batch b, long step, int micro) {
        return maskedLoss(b, trainingNoise(b.size()));
    }

    /** The reconstruction loss of {@code b}'s images masked by {@code noise} (one row per image). */
    private Loss maskedLoss(Batch b, Tensor noise) {
        Tensor x = Torch.floats(model.device(), b.images(), b.size(), b.channels(), b.height(), b.width());
        try (Precision.Scope ac = precision.enter(model.device())) {
            return new Loss(model.forward(x, noise).loss(), Double.NaN);
        }
    }

    /**
     * One process's micro-batch as row shards: the masking noise is drawn here for all its rows, as
     * {@link #loss} draws it, and each shard masks its rows with its rows of it. Every image masks
     * the same number of patches, so the shards' mean losses, weighted by their rows, are the
     * micro-batch's mean.
     */
    @Override
    public RowsLoss splitRows(Batch b, long step, int micro) {
        if (sync.worldSize() != 1) {
            return null;
        }
        Tensor noise = trainingNoise(b.size());
        return (start, count) -> maskedLoss(b.rows(start, count), noise.narrow(0, start, count));
    }

    /** This process's rows of the global micro-batch's masking noise (see the class comment). */
    private Tensor trainingNoise(int batch) {
        int world = sync.worldSize();
        if (world == 1) {
            return model.randomNoise(batch);
        }
        Tensor all = model.randomNoise((long) batch * world);
        int[] rows = IntStream.range(0, batch).map(i -> sync.rank() + i * world).toArray();
        return all.index_select(0, Torch.longs(model.device(), rows));
    }

    /**
     * The loss on the readable held-out images, each masked by its own fixed noise; each process
     * measures its share, and the unreadable ones (left out) are gathered from all.
     */
    @Override
    public Evaluated evaluate() {
        if (valLoader == null) {
            throw new IllegalStateException("this task was made without a held-out split");
        }
        double sum = 0, count = 0;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Batch b : valLoader) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor x = Torch.floats(model.device(), b.images(), b.size(), b.channels(), b.height(), b.width());
                    Tensor noise = Masking.seededNoise(VAL_MASK_SEED, b.indices(), model.config().numPatches(), model.device());
                    try (Precision.Scope ac = precision.enter(model.device())) {
                        sum += model.forward(x, noise).loss().item_double() * b.size();
                    }
                }
                count += b.size();
            }
        }
        double[] t = sync.sum(new double[] {sum, count});
        unreadable = DataIntegrity.gather(valLoader.badIndices(), sync);
        BadFiles bad = valLoader.badFiles(unreadable);
        if (t[1] == 0) {
            throw new CrateException("none of the " + held.size() + " held-out images can be read (" + bad.problems()
                    + "): fix or replace them");
        }
        return new Evaluated(Map.of("val_loss", t[0] / t[1]), Double.NaN, (long) t[1], bad);
    }

    @Override
    public long evaluationImages() {
        return held == null ? 0 : held.size();
    }

    /** {@code reconstructions.png} in the run directory: the first readable held-out images, fixed masks. */
    @Override
    public void afterEpoch(Path outDir) {
        Set<Integer> bad = Arrays.stream(unreadable).boxed().collect(Collectors.toSet());
        int[] shown = IntStream.range(0, held.size()).filter(i -> !bad.contains(i)).limit(SHEET_IMAGES).toArray();
        int n = shown.length;
        MaeConfig c = model.config();
        try (PointerScope scope = new PointerScope()) {
            float[] px = new float[n * c.channels() * c.imageSize() * c.imageSize()];
            int per = px.length / n;
            for (int i = 0; i < n; i++) {
                float[] img = valTf.apply(FloatImage.fromImage(held.image(shown[i])), new SplittableRandom(0)).data;
                System.arraycopy(img, 0, px, i * per, per);
            }
            Tensor x = Torch.floats(model.device(), px, n, c.channels(), c.imageSize(), c.imageSize());
            CrateMae.Reconstruction r = model.reconstruct(x, Masking.seededNoise(VAL_MASK_SEED, 0, n, c.numPatches(), model.device()));
            ReconstructionSheet.Rows rows = new ReconstructionSheet.Rows(n, c.channels(), c.imageSize(), c.patchSize(), px,
                    Torch.toFloats(r.prediction()), Torch.toFloats(r.pasted()), Torch.toFloats(r.mask()));
            List<String> names = Arrays.stream(shown).mapToObj(i -> "held-out " + i).toList();
            Preprocessing p = Preprocessing.fromMetadata(metadata, Preprocessing.defaultFor(c.channels()));
            AtomicWrite.png(ReconstructionSheet.render("CRATE-MAE reconstructions", names, rows, p.mean(), p.std()),
                    outDir.resolve("reconstructions.png"));
        }
    }

    @Override
    public Map<String, Double> finalMetrics(Evaluated last, double lastTrainLoss) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("train_loss", lastTrainLoss);
        m.put("val_loss", last.metrics().get("val_loss"));
        return m;
    }

    @Override
    public void restore(Path file) {
        MaeConfig saved = MaeWeights.configFor(MaeWeights.read(file), MaeWeights.Options.defaults());
        if (!saved.equals(model.config())) {
            throw new CrateException("--resume: " + file + " holds a different architecture (" + MaeWeights.configToJson(saved)
                    + ") than requested (" + MaeWeights.configToJson(model.config()) + "): use the same options or a new --out");
        }
        CrateMae loaded = MaeWeights.load(file, MaeWeights.Options.defaults());
        try (NoGradGuard g = new NoGradGuard()) {
            loaded.stateDict().forEach((k, v) -> model.stateDict().get(k).copy_(v));
        }
    }

    @Override
    public void close() {
        if (valLoader != null) {
            valLoader.close();
        }
    }
}
