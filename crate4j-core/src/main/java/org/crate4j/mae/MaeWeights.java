package org.crate4j.mae;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.PickledObject;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.checkpoint.TorchCheckpoint;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.io.Inputs;
import org.crate4j.model.Attention;
import org.crate4j.model.FamilySafetensors;
import org.crate4j.model.PresetMismatch;
import org.crate4j.model.Presets;

/**
 * Loads and saves CRATE-MAE weights: the MAE training code's checkpoints
 * ({@code {model, optimizer, epoch, scaler, args}}, read safely) and our safetensors.
 */
public final class MaeWeights {
    public static final String FORMAT = CheckpointKind.MAE_FORMAT;
    private static final Gson GSON = new Gson();
    /** What an encoder-only load does without: read when present, else the fresh value. */
    private static final Set<String> OPTIONAL_FOR_ENCODER = Set.of("pos_embed", "decoder_pos_embed", "mask_token");
    /** TSSA's per-head temperatures (h, 1) in the first encoder and decoder layer: their presence tells TSSA from MSSA. */
    private static final String ENCODER_TEMP = "blocks.0.layers.0.0.fn.temp", DECODER_TEMP = "decoder_blocks.0.layers.0.1.fn.temp";

    private MaeWeights() {}

    /**
     * How to read a weights file. Null / 0 fields mean "from the file, else the preset, else the
     * default of docs/architecture.md §2".
     *
     * @param preset       a {@code crate-mae-*} preset supplying heads, λ and the rest
     * @param heads        encoder heads (cannot be read off the shapes)
     * @param decoderHeads decoder heads (default: the encoder's)
     * @param encoderOnly  accept files without the decoder ({@code decoder_blocks/norm/pred/embed});
     *                     the decoder, and the mask token and tables when absent, keep fresh values
     * @param lambda       the encoder's ISTA threshold λ (not stored in reference checkpoints)
     * @param maskRatio    override the file's {@code args.mask_ratio}
     * @param normPixLoss  override the file's {@code args.norm_pix_loss}
     */
    public record Options(String preset, int heads, int decoderHeads, boolean encoderOnly,
            Double lambda, Double maskRatio, Boolean normPixLoss) {
        public static Options defaults() {
            return new Options(null, 0, 0, false, null, null, null);
        }

        public Options withHeads(int encoder, int decoder) {
            return new Options(preset, encoder, decoder, encoderOnly, lambda, maskRatio, normPixLoss);
        }

        public Options withEncoderOnly(boolean on) {
            return new Options(preset, heads, decoderHeads, on, lambda, maskRatio, normPixLoss);
        }

        public Options withLambda(double l) {
            return new Options(preset, heads, decoderHeads, encoderOnly, l, maskRatio, normPixLoss);
        }
    }

    /** A weights file and, for {@code torch.save} files, the pickled training arguments as a map (else empty). */
    public record Source(WeightsFile file, Map<String, Object> args) {}

    public static Source read(Path path) {
        Inputs.requireFile(path, "weights file");
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors") || name.endsWith(".st")) {
            return new Source(WeightsFile.read(path), Map.of());
        }
        Object tree = TorchCheckpoint.read(path);
        LinkedHashMap<String, RawTensor> tensors = TorchCheckpoint.stateDictOf(tree, "checkpoint " + path.getFileName());
        return new Source(new WeightsFile(path, tensors, Map.of()), argsOf(tree));
    }

    public static CrateMae load(Path path, Options opt) {
        return load(read(path), opt, Device.CPU);
    }

    /** The model on {@code device}: the file is read to host memory and each tensor copied over. */
    public static CrateMae load(Path path, Options opt, Device device) {
        return load(read(path), opt, device);
    }

    /** Builds the model on the CPU from an already-read file (whose kind or metadata the caller may have looked at). */
    public static CrateMae load(Source src, Options opt) {
        return load(src, opt, Device.CPU);
    }

    /** Builds the model on {@code device} from an already-read file. */
    public static CrateMae load(Source src, Options opt, Device device) {
        Path path = src.file().path();
        MaeConfig config = configFor(src, opt);
        Map<String, RawTensor> tensors = new LinkedHashMap<>(src.file().tensors());
        Map<String, long[]> expected = new LinkedHashMap<>(config.parameterShapes());
        if (opt.encoderOnly()) {
            tensors.keySet().removeIf(MaeWeights::isDecoderPart);
            expected.keySet().removeIf(k -> isDecoderPart(k) || (OPTIONAL_FOR_ENCODER.contains(k) && !tensors.containsKey(k)));
        }
        Map<String, long[]> found = new LinkedHashMap<>();
        tensors.forEach((k, v) -> found.put(k, v.shape()));
        requireAttention(path.toString(), config, found);
        StateDictCheck.requireExact(path.toString(), expected, found, hint(config, opt));
        Map<String, Tensor> values = new LinkedHashMap<>();
        if (expected.size() < config.parameterShapes().size()) {
            values.putAll(CrateMae.create(config).stateDict());   // whatever the file leaves out
        }
        for (String name : expected.keySet()) {
            RawTensor raw = tensors.get(name);
            values.put(name, Torch.floats(Device.CPU, raw.toFloats(), raw.shape()));
        }
        return CrateMae.fromTensors(config, values, device);
    }

    /**
     * The architecture: our metadata when present, else inferred from the shapes and the training
     * arguments. A named preset must be a CRATE-MAE's; beside our metadata it only warns when it
     * differs ({@link PresetMismatch}).
     */
    public static MaeConfig configFor(Source src, Options opt) {
        WeightsFile file = src.file();
        CheckpointKind.require(CheckpointKind.MAE, file);
        requirePreset(opt.preset(), file.path());
        String json = file.metadata().get("config");
        if (json != null && FORMAT.equals(file.metadata().get("format"))) {
            MaeConfig c = configFromJson(json);
            if (opt.preset() != null) {
                PresetMismatch.warn(opt.preset(), architecture(MaePresets.get(opt.preset())), file.path(), architecture(c));
            }
            return overridden(c, opt);
        }
        return infer(file.path().toString(), file.shapes(), src.args(), opt);
    }

    /** Refuses a {@code preset} (null: none) that is no CRATE-MAE preset, naming the classifier's when it is one of those. */
    public static void requirePreset(String preset, Path file) {
        if (preset == null || MaePresets.exists(preset)) {
            return;
        }
        String choices = String.join(", ", MaePresets.all().keySet());
        throw new CrateException(Presets.exists(preset)
                ? "--model " + preset + " is a CRATE classifier preset but " + file + " is " + CheckpointKind.MAE.label()
                        + ": drop --model or name one of " + choices
                : "unknown model '" + preset + "': choose one of " + choices);
    }

    /** What fixes the tensors' shapes; the input size may differ from a preset's. */
    public static String architecture(MaeConfig c) {
        return "dim " + c.encoderDim() + ", depth " + c.encoderDepth() + " + decoder " + c.decoderDepth() + ", " + c.encoderHeads() + "/"
                + c.decoderHeads() + " heads, patch " + c.patchSize();
    }

    /**
     * Reads d, both depths, P, C and the grid off the shapes; heads from the options, the preset
     * (named, or named by {@code args.model} such as {@code mae_crate_base}) or the one preset of
     * the same width and depth; mask ratio and pixel normalisation from {@code args}.
     */
    public static MaeConfig infer(String source, Map<String, long[]> shapes, Map<String, Object> args, Options opt) {
        long[] pe = need(source, shapes, "patch_embed.proj.weight", 4);
        if (pe[2] != pe[3]) {
            throw new CrateException(source + ": patch_embed.proj.weight is " + StateDictCheck.shape(pe) + ": patches must be square");
        }
        int dim = (int) pe[0], channels = (int) pe[1], patch = (int) pe[2];
        int depth = count(shapes, "blocks.%d.layers.0.0.fn.qkv.weight");
        if (depth == 0) {
            need(source, shapes, "blocks.0.layers.0.0.fn.qkv.weight", 2);
        }
        MaeConfig hint = hint(opt, args);
        int decoderDepth = count(shapes, "decoder_blocks.%d.layers.0.1.fn.qkv.weight");
        if (decoderDepth == 0) {
            decoderDepth = hint != null ? hint.decoderDepth() : depth; // absent decoder: the strict check decides
        }
        int image = imageSize(source, shapes, args, hint, patch);
        Attention attention = attentionOf(source, shapes);
        long[] temp = shapes.get(ENCODER_TEMP), decoderTemp = shapes.get(DECODER_TEMP);
        // TSSA's temperatures have one row per head; MSSA's heads cannot be read off the shapes
        int heads = opt.heads() > 0 ? opt.heads() : temp != null ? (int) temp[0] : presetHeads(hint, dim, depth, true);
        if (heads <= 0) {
            throw new CrateException(source + ": heads cannot be read off the shapes (width " + dim + ", depth " + depth
                    + "): pass --heads H or a matching --model crate-mae-* preset");
        }
        int decoderHeads = opt.decoderHeads() > 0 ? opt.decoderHeads() : opt.heads() > 0 ? opt.heads()
                : decoderTemp != null ? (int) decoderTemp[0] : presetHeads(hint, dim, depth, false);
        MaeConfig base = hint != null ? hint : MaeConfig.of(image, patch, channels, dim, depth, heads);
        double ratio = args.get("mask_ratio") instanceof Number n ? n.doubleValue() : base.maskRatio();
        boolean normPix = args.get("norm_pix_loss") instanceof Boolean b ? b : base.normPixLoss();
        MaeConfig c = new MaeConfig(image, patch, channels, dim, depth, heads, dim, decoderDepth,
                decoderHeads > 0 ? decoderHeads : heads, base.eta(), base.lambda(), ratio, normPix, attention);
        return overridden(c, opt);
    }

    /** Writes our safetensors: every tensor (position tables included) plus the config as metadata. Atomic. */
    public static void save(CrateMae model, Path path, Map<String, String> extraMetadata) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        model.stateDict().forEach((k, t) -> out.put(k, RawTensor.ofFloats(Torch.toFloats(t), Torch.shape(t))));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("config", configToJson(model.config()));
        meta.putAll(extraMetadata);
        Safetensors.write(path, out, meta);
    }

    /**
     * The config's fields in order; {@code attention} only when it is not MSSA, so that an MSSA
     * model's files stay as they were before the field existed (a missing field reads as MSSA).
     */
    public static String configToJson(MaeConfig c) {
        JsonObject o = GSON.toJsonTree(c).getAsJsonObject();
        if (c.attention() == Attention.MSSA) {
            o.remove("attention");
        }
        return GSON.toJson(o);
    }

    public static MaeConfig configFromJson(String json) {
        return FamilySafetensors.config(json, MaeConfig.class, "MAE");
    }

    /**
     * TSSA when the tensors hold its temperatures ({@code fn.temp}), else MSSA. Encoder and decoder
     * compress alike in our CRATE-MAE: a file whose encoder and decoder disagree is refused.
     */
    public static Attention attentionOf(String source, Map<String, long[]> shapes) {
        boolean encoder = shapes.containsKey(ENCODER_TEMP), decoder = shapes.containsKey(DECODER_TEMP);
        boolean hasDecoder = shapes.keySet().stream().anyMatch(k -> k.startsWith("decoder_blocks."));
        boolean hasEncoder = shapes.keySet().stream().anyMatch(k -> k.startsWith("blocks."));
        if (hasEncoder && hasDecoder && encoder != decoder) {
            throw new CrateException(source + ": the encoder compresses with " + (encoder ? "TSSA" : "MSSA") + " and the decoder with "
                    + (decoder ? "TSSA" : "MSSA") + " (" + (encoder ? ENCODER_TEMP : DECODER_TEMP) + " only on one side): a CRATE-MAE "
                    + "here uses one compression step in both; load the encoder alone with --encoder-only where a command offers it");
        }
        return encoder || decoder ? Attention.TSSA : Attention.MSSA;
    }

    /** Fails with one line when the tensors are another compression step's than the config names. */
    private static void requireAttention(String source, MaeConfig config, Map<String, long[]> shapes) {
        Attention found = attentionOf(source, shapes);
        boolean hasLayers = shapes.keySet().stream().anyMatch(k -> k.startsWith("blocks.") || k.startsWith("decoder_blocks."));
        if (hasLayers && found != config.attention()) {
            throw new CrateException(source + ": its config says " + name(config.attention()) + " but its tensors are "
                    + name(found) + "'s (" + (found == Attention.TSSA ? "with" : "without") + " the per-head fn.temp): "
                    + "the config and the tensors disagree, so the file cannot be loaded as either");
        }
    }

    private static String name(Attention a) {
        return a.name().toLowerCase(Locale.ROOT);
    }

    /** The decoder's own tensors; the mask token and decoder_pos_embed feed the encoder and are not among them. */
    static boolean isDecoderPart(String key) {
        return key.startsWith("decoder_blocks.") || key.startsWith("decoder_norm.") || key.startsWith("decoder_pred.")
                || key.startsWith("decoder_embed.");
    }

    private static MaeConfig overridden(MaeConfig c, Options opt) {
        if (opt.heads() > 0 || opt.decoderHeads() > 0) {
            int enc = opt.heads() > 0 ? opt.heads() : c.encoderHeads();
            c = c.withHeads(enc, opt.decoderHeads() > 0 ? opt.decoderHeads() : opt.heads() > 0 ? opt.heads() : c.decoderHeads());
        }
        if (opt.lambda() != null) {
            c = c.withSparsity(c.eta(), opt.lambda());
        }
        if (opt.maskRatio() != null) {
            c = c.withMaskRatio(opt.maskRatio());
        }
        if (opt.normPixLoss() != null) {
            c = c.withNormPixLoss(opt.normPixLoss());
        }
        return c;
    }

    private static MaeConfig hint(Options opt, Map<String, Object> args) {
        if (opt.preset() != null) {
            return MaePresets.get(opt.preset());
        }
        if (args.get("model") instanceof String m) {
            String name = m.toLowerCase(Locale.ROOT).replace("mae_crate_", "crate-mae-");
            return MaePresets.exists(name) ? MaePresets.get(name) : null;
        }
        return null;
    }

    private static int presetHeads(MaeConfig hint, int dim, int depth, boolean encoder) {
        if (hint != null && hint.encoderDim() == dim) {
            return encoder ? hint.encoderHeads() : hint.decoderHeads();
        }
        for (MaeConfig p : MaePresets.all().values()) {
            if (p.encoderDim() == dim && p.encoderDepth() == depth) {
                return encoder ? p.encoderHeads() : p.decoderHeads();
            }
        }
        return 0;
    }

    private static int imageSize(String source, Map<String, long[]> shapes, Map<String, Object> args, MaeConfig hint, int patch) {
        long[] table = shapes.containsKey("decoder_pos_embed") ? shapes.get("decoder_pos_embed") : shapes.get("pos_embed");
        if (table != null && table.length == 3) {
            long patches = table[1] - 1;
            int side = (int) Math.round(Math.sqrt(patches));
            if ((long) side * side != patches) {
                throw new CrateException(source + ": the position table has " + patches + " patch positions, not a square grid");
            }
            return side * patch;
        }
        if (args.get("input_size") instanceof Number n) {
            return n.intValue();
        }
        if (hint != null) {
            return hint.imageSize();
        }
        throw new CrateException(source + ": no position table to read the image size from: pass a --model crate-mae-* preset");
    }

    private static int count(Map<String, long[]> shapes, String pattern) {
        int n = 0;
        while (shapes.containsKey(String.format(Locale.ROOT, pattern, n))) {
            n++;
        }
        return n;
    }

    private static long[] need(String source, Map<String, long[]> shapes, String key, int rank) {
        long[] s = shapes.get(key);
        if (s == null) {
            throw new CrateException(source + ": no '" + key + "' tensor: this is not a CRATE-MAE checkpoint");
        }
        if (s.length != rank) {
            throw new CrateException(source + ": '" + key + "' is " + StateDictCheck.shape(s) + ", expected rank " + rank);
        }
        return s;
    }

    private static String hint(MaeConfig c, Options opt) {
        return "model built as dim " + c.encoderDim() + ", depth " + c.encoderDepth() + "/" + c.decoderDepth()
                + " (encoder/decoder), heads " + c.encoderHeads() + "/" + c.decoderHeads() + ", " + name(c.attention())
                + ", patch " + c.patchSize()
                + ", image " + c.imageSize() + " (use --model/--heads to change"
                + (opt.encoderOnly() ? ")" : "; --encoder-only to load without the decoder)");
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> argsOf(Object tree) {
        if (tree instanceof Map<?, ?> top) {
            Object args = top.get("args");
            if (args instanceof PickledObject o && o.state() instanceof Map<?, ?> fields) {
                return (Map<String, Object>) fields;
            }
            if (args instanceof Map<?, ?> fields) {
                return (Map<String, Object>) fields;
            }
        }
        return Map.of();
    }
}
