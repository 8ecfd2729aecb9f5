package org.crate4j.tost;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.DType;
import org.crate4j.checkpoint.PickledObject;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.checkpoint.TorchCheckpoint;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.model.FamilySafetensors;
import org.crate4j.model.ParameterSpec;

/**
 * Loads and saves ToST vision weights: the reference training script's checkpoints
 * ({@code {'model', 'optimizer', 'lr_scheduler', 'epoch', 'model_ema', 'args'}}, or any dict with
 * the state dict under {@code 'model'}), read safely by name, and our safetensors. Every key and
 * shape must match the architecture exactly.
 */
public final class TostWeights {
    public static final String FORMAT = CheckpointKind.TOST_FORMAT;
    private static final String BATCH_COUNT = "num_batches_tracked";

    private TostWeights() {}

    /**
     * How to read a weights file.
     *
     * @param preset     a {@code tost-cab-*} preset for what shapes do not show (tokens_norm, the
     *                   layer-scale init, the image size); else the file's {@code args.model}, else
     *                   the presets' conventions
     * @param noHead     drop {@code head.*} and keep a fresh head (fine-tuning), as the reference's
     *                   fine-tuning script does when the class count differs
     * @param classes    with noHead, the new class count (0: the file's)
     * @param tokensNorm whether class-attention blocks normalise every token (null: the preset's,
     *                   else on, as in every registered ToST model); shapes cannot tell
     */
    public record Options(String preset, boolean noHead, int classes, Boolean tokensNorm) {
        public static Options defaults() {
            return new Options(null, false, 0, null);
        }

        public Options withTokensNorm(boolean on) {
            return new Options(preset, noHead, classes, on);
        }

        public Options withNewHead(int newClasses) {
            return new Options(preset, true, newClasses, tokensNorm);
        }
    }

    /** A weights file and, for {@code torch.save} files, the pickled training arguments (else empty). */
    public record Source(WeightsFile file, Map<String, Object> args) {}

    public static Source read(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new CrateException("weights file " + path + " does not exist");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors") || name.endsWith(".st")) {
            return new Source(WeightsFile.read(path), Map.of());
        }
        Object tree = TorchCheckpoint.read(path);
        return new Source(new WeightsFile(path, TorchCheckpoint.stateDictOf(tree, "checkpoint " + path.getFileName()), Map.of()),
                argsOf(tree));
    }

    public static Tost load(Path path, Options opt) {
        return load(read(path), opt);
    }

    public static Tost load(Source src, Options opt) {
        TostConfig config = configFor(src, opt);
        Map<String, RawTensor> tensors = new LinkedHashMap<>(src.file().tensors());
        Map<String, long[]> expected = new LinkedHashMap<>();
        for (ParameterSpec s : config.parameterSpecs()) {
            expected.put(s.name(), s.shape());
        }
        if (opt.noHead()) {
            tensors.keySet().removeIf(k -> k.startsWith(TostLayout.HEAD));
            expected.keySet().removeIf(k -> k.startsWith(TostLayout.HEAD));
        }
        Map<String, long[]> found = new LinkedHashMap<>();
        tensors.forEach((k, v) -> found.put(k, v.shape()));
        StateDictCheck.requireExact(src.file().path().toString(), expected, found, hint(config));
        Torch.init();
        Map<String, Tensor> values = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (ParameterSpec s : config.parameterSpecs()) {
                RawTensor raw = tensors.get(s.name());
                values.put(s.name(), raw == null ? s.init().create(s.shape()) : toTensor(s, raw)); // a new head starts fresh
            }
        }
        return Tost.fromTensors(config, values);
    }

    /** The architecture: our metadata when present, else read off the shapes (and {@code args.model}). */
    public static TostConfig configFor(Source src, Options opt) {
        WeightsFile file = src.file();
        CheckpointKind kind = CheckpointKind.of(file.shapes(), file.metadata());
        if (kind != CheckpointKind.TOST && kind != CheckpointKind.UNKNOWN) {
            throw new CrateException(file.path() + " is " + kind.label() + " checkpoint, not a ToST one");
        }
        String json = file.metadata().get("config");
        TostConfig c = json != null && FORMAT.equals(file.metadata().get("format")) ? TostConfigJson.fromJson(json)
                : infer(file.path().toString(), file.shapes(), src.args(), opt);
        return opt.noHead() && opt.classes() > 0 ? c.with(b -> b.classes(opt.classes())) : c;
    }

    /**
     * Reads d, the depths, heads (TSSA's {@code temp} has one row per head), the patch size (the
     * number of stem stages), channels, MLP width, qkv bias and classes off the shapes; tokens_norm,
     * the layer-scale init and the image size come from the preset (named, or {@code args.model}),
     * else the presets' conventions (tokens_norm on; η = 1 up to 12 blocks, 1e-5 beyond).
     */
    public static TostConfig infer(String source, Map<String, long[]> shapes, Map<String, Object> args, Options opt) {
        int dim = (int) need(source, shapes, TostLayout.CLS_TOKEN, 3)[2];
        int stages = count(shapes, "patch_embed.proj.%d.0.weight", 2);
        if (stages != 4 && stages != 3) {
            throw new CrateException(source + ": the convolutional stem has " + stages + " stages; ToST's has 4 (patch 16) or 3 (patch 8)");
        }
        int channels = (int) need(source, shapes, TostLayout.stemConv(0) + "weight", 4)[1];
        int depth = count(shapes, "blocks.%d.attn.temp", 1);
        int heads = (int) need(source, shapes, "blocks.0.attn.temp", 2)[0];
        long hidden = need(source, shapes, "blocks.0.mlp.fc1.weight", 2)[0];
        TostConfig hint = preset(opt, args);
        TostConfig.Builder b = hint != null ? hint.toBuilder()
                : TostConfig.builder().layerScale(depth > 12 ? 1e-5 : 1.0);
        b.patchSize(stages == 4 ? 16 : 8).channels(channels).dim(dim).depth(depth).heads(heads)
                .mlpRatio(hidden / (double) dim).qkvBias(shapes.containsKey("blocks.0.attn.qkv.bias"))
                .classAttentionLayers(count(shapes, "cls_attn_blocks.%d.gamma1", 1));
        if (opt.tokensNorm() != null) {
            b.tokensNorm(opt.tokensNorm());
        }
        if (shapes.containsKey(TostLayout.HEAD + "weight")) {
            b.classes((int) shapes.get(TostLayout.HEAD + "weight")[0]);
        }
        TostConfig c = b.build();
        if (c.mlpHidden() != hidden) {
            throw new CrateException(source + ": MLP width " + hidden + " is not ⌊" + dim + " × ratio⌋ for any ratio this reader can form");
        }
        return c;
    }

    /** Writes our safetensors: every tensor (running statistics included) plus the config as metadata. Atomic. */
    public static void save(Tost model, Path path, Map<String, String> extraMetadata) {
        FamilySafetensors.write(model, path, extraMetadata);
    }

    /** A tensor as the spec wants it: BatchNorm's batch count as an int64 scalar, the rest as fp32. */
    static Tensor toTensor(ParameterSpec spec, RawTensor raw) {
        if (!spec.name().endsWith(BATCH_COUNT)) {
            return Torch.floats(Device.CPU, raw.toFloats(), raw.shape());
        }
        ByteBuffer buf = ByteBuffer.wrap(raw.data()).order(ByteOrder.LITTLE_ENDIAN);
        long count = raw.dtype() == DType.I64 ? buf.getLong(0) : raw.dtype() == DType.I32 ? buf.getInt(0)
                : Math.round(raw.toFloats()[0]);
        return Torch.zeros(Device.CPU, raw.shape()).to(torch.ScalarType.Long).add_(new Scalar(count));
    }

    private static TostConfig preset(Options opt, Map<String, Object> args) {
        if (opt.preset() != null) {
            return TostPresets.get(opt.preset());
        }
        if (args.get("model") instanceof String m) {
            String name = m.toLowerCase(Locale.ROOT).replace('_', '-');
            return TostPresets.exists(name) ? TostPresets.get(name) : null;
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> argsOf(Object tree) {
        if (tree instanceof Map<?, ?> top && top.get("args") instanceof PickledObject o && o.state() instanceof Map<?, ?> fields) {
            return (Map<String, Object>) fields;
        }
        return Map.of();
    }

    /** How many of key(0), key(step), key(2·step), … exist. */
    private static int count(Map<String, long[]> shapes, String pattern, int step) {
        int n = 0;
        while (shapes.containsKey(String.format(Locale.ROOT, pattern, n * step))) {
            n++;
        }
        return n;
    }

    private static long[] need(String source, Map<String, long[]> shapes, String key, int rank) {
        return StateDictCheck.need(source, shapes, key, rank, "this is not a ToST vision checkpoint");
    }

    private static String hint(TostConfig c) {
        return "model built as dim " + c.dim() + ", depth " + c.depth() + " + " + c.classAttentionLayers()
                + " class-attention, heads " + c.heads() + ", patch " + c.patchSize() + ", MLP " + c.mlpHidden()
                + ", classes " + c.numClasses() + " (use --model to change)";
    }
}
