package org.crate4j.model;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/** Loads and saves CRATE classifier weights: the reference's checkpoints and our safetensors. */
public final class CrateWeights {
    public static final String FORMAT = CheckpointKind.CLASSIFIER_FORMAT;
    /** The classifier's head: mlp_head (LN + Linear) and, in the segmentation demo's layout, a second Linear head. */
    private static final List<String> HEAD_PREFIXES = List.of("mlp_head.", "head.");
    /** Layer 0's compression block, whose tensors tell the heads and the form (TSSA, tied or free MSSA). */
    private static final String LAYER_0 = "transformer.layers.0.0.fn.";
    /** Layer 0's TSSA temperature (h, 1): its presence makes the compression step TSSA. */
    private static final String TSSA_TEMPERATURE = LAYER_0 + "temp";

    private CrateWeights() {}

    /**
     * How to read a weights file.
     *
     * @param preset   the preset the user named (or null): supplies heads, channels, pooling
     * @param heads    heads given explicitly (0: infer)
     * @param noHead   drop the whole head ({@code mlp_head.*}, and {@code head.*} of a two-stage head) and
     *                 keep a freshly initialised one-stage head (fine-tuning)
     * @param classes  with noHead, the new class count (0: the preset's or the file's)
     */
    public record Options(String preset, int heads, boolean noHead, int classes, Pooling pool,
            int imageHeight, int imageWidth, int channels) {
        public Options(String preset, int heads, boolean noHead, int classes, Pooling pool) {
            this(preset, heads, noHead, classes, pool, 0, 0, 0);
        }

        public static Options defaults() {
            return new Options(null, 0, false, 0, null);
        }

        /** The same options with the image size (and channels) the weights were trained at. */
        public Options withImage(int height, int width, int c) {
            return new Options(preset, heads, noHead, classes, pool, height, width, c);
        }
    }

    public static Crate load(Path path, Options opt) {
        return load(WeightsFile.read(path), opt, Device.CPU);
    }

    /** The model on {@code device}: the file is read to host memory and each tensor copied over. */
    public static Crate load(Path path, Options opt, Device device) {
        return load(WeightsFile.read(path), opt, device);
    }

    /** Builds the model on the CPU from an already-read file (whose metadata the caller may also want). */
    public static Crate load(WeightsFile file, Options opt) {
        return load(file, opt, Device.CPU);
    }

    /** Builds the model on {@code device} from an already-read file. */
    public static Crate load(WeightsFile file, Options opt, Device device) {
        Path path = file.path();
        CrateConfig config = configFor(file, opt);
        Map<String, RawTensor> tensors = new LinkedHashMap<>(file.tensors());
        Map<String, long[]> expected = new LinkedHashMap<>(config.parameterShapes());
        if (opt.noHead()) {
            tensors.keySet().removeIf(CrateWeights::isHead);
            expected.keySet().removeIf(CrateWeights::isHead);
        }
        Map<String, long[]> found = new LinkedHashMap<>();
        tensors.forEach((k, v) -> found.put(k, v.shape()));
        StateDictCheck.requireExact(path.toString(), expected, found, headsHint(config));
        Crate fresh = Crate.create(config); // supplies what the file leaves out (a new head)
        Map<String, Tensor> values = new LinkedHashMap<>();
        for (String name : config.parameterShapes().keySet()) {
            RawTensor raw = tensors.get(name);
            values.put(name, raw == null ? fresh.parameters().get(name) : Torch.floats(Device.CPU, raw.toFloats(), raw.shape()));
        }
        return Crate.fromTensors(config, values, device);
    }

    /**
     * The architecture: our metadata when present, else inferred from the tensor shapes. A named
     * preset must be a classifier's; beside our metadata it only warns when it differs ({@link PresetMismatch}).
     */
    public static CrateConfig configFor(WeightsFile file, Options opt) {
        CheckpointKind.require(CheckpointKind.CLASSIFIER, file);
        requirePreset(opt.preset());
        String json = file.metadata().get("config");
        if (json != null && FORMAT.equals(file.metadata().get("format"))) {
            CrateConfig c = ConfigJson.fromJson(json);
            if (opt.preset() != null) {
                PresetMismatch.warn(opt.preset(), architecture(Presets.get(opt.preset())), file.path(), architecture(c));
            }
            if (opt.heads() > 0 && opt.heads() != c.heads()) {
                throw new CrateException(file.path() + " was saved with " + c.heads() + " heads of width " + c.headDim()
                        + ", which --heads " + opt.heads() + " contradicts: drop --heads");
            }
            return opt.noHead() ? withoutHead(c, opt.classes()) : c;
        }
        return infer(file.path().toString(), file.shapes(), opt);
    }

    /** Refuses a named preset that is no classifier preset ({@code org.crate4j.zoo.NamedPreset} also names the other family's). */
    private static void requirePreset(String preset) {
        if (preset != null && !Presets.exists(preset)) {
            throw new CrateException("unknown model '" + preset + "': choose one of " + String.join(", ", Presets.all().keySet()));
        }
    }

    /** What fixes the tensors' shapes and the attention; the classes and the input size may differ from a preset's. */
    public static String architecture(CrateConfig c) {
        return "dim " + c.dim() + ", depth " + c.depth() + ", " + c.heads() + " heads of width " + c.headDim() + ", patch " + c.patchSize()
                + (c.patchWindow() > c.patchSize() ? " in " + c.patchWindow() + "x" + c.patchWindow() + " windows" : "")
                + (c.patchCode() > 0 ? ", " + c.patchCode() + " code atoms" : "");
    }

    /** A fresh one-stage head in place of the file's (for {@code classes} > 0, that many classes). */
    private static CrateConfig withoutHead(CrateConfig c, int classes) {
        return c.withHeadHidden(0).withClasses(classes > 0 ? classes : c.numClasses());
    }

    static boolean isHead(String key) {
        return HEAD_PREFIXES.stream().anyMatch(key::startsWith);
    }

    /**
     * Reads d, L, P, the token count, the classes and the head's stages off the shapes; heads come
     * from the flag, the named preset, the preset of exactly these shapes, or the one preset of the
     * same width and depth.
     */
    public static CrateConfig infer(String source, Map<String, long[]> shapes, Options opt) {
        CrateConfig shaped = shaped(source, shapes, opt);
        int heads = shaped.attention() == Attention.TSSA ? tssaHeads(source, shapes, opt) : headsFor(source, shapes, opt, shaped);
        if (heads <= 0) {
            throw new CrateException(source + ": heads cannot be read off the shapes (width " + shaped.dim() + ", depth "
                    + shaped.depth() + "): pass --heads H or a matching --model preset");
        }
        CrateConfig c = shaped.withHeads(heads, shaped.innerDim() / heads);
        return opt.noHead() ? withoutHead(c, opt.classes()) : c;
    }

    /**
     * The architecture as far as the shapes (and the named preset) tell, heads left open: one
     * head spanning the qkv width h·k stands in, since the shapes fix only h·k.
     */
    public static CrateConfig shaped(String source, Map<String, long[]> shapes, Options opt) {
        long[] cls = need(source, shapes, "cls_token", 3);
        long[] pos = need(source, shapes, "pos_embedding", 3);
        long[] ln = need(source, shapes, "to_patch_embedding.1.weight", 1);
        long[] qkv = need(source, shapes, "transformer.layers.0.0.fn.qkv.weight", 2);
        int dim = (int) cls[2];
        int depth = 0;
        while (shapes.containsKey("transformer.layers." + depth + ".0.fn.qkv.weight")) {
            depth++;
        }
        CrateConfig hint = opt.preset() == null ? null : Presets.get(opt.preset());
        int channels = opt.channels() > 0 ? opt.channels() : hint != null ? hint.channels() : 3;
        int patch = patchFrom((int) ln[0], channels);
        if (patch < 0 && hint == null && opt.channels() <= 0) {
            channels = 1;
            patch = patchFrom((int) ln[0], 1);
        }
        if (patch < 0) {
            throw new CrateException(source + ": to_patch_embedding.1.weight has " + ln[0] + " entries, which is not "
                    + channels + "·P² for any patch size P");
        }
        int patches = (int) pos[1] - 1;
        int window = patch; // the embedding holds C·K² weights; K exceeds P when windows overlap
        if (opt.imageHeight() > 0 && opt.imageWidth() > 0 && (opt.imageHeight() / patch) * (opt.imageWidth() / patch) != patches) {
            patch = overlappedPatch(opt.imageHeight(), opt.imageWidth(), patches, window);
        }
        int[] grid = opt.imageHeight() > 0 && opt.imageWidth() > 0
                && (opt.imageHeight() / patch) * (opt.imageWidth() / patch) == patches
                ? new int[] {opt.imageHeight() / patch, opt.imageWidth() / patch} : grid(patches, hint, patch);
        if (grid == null) {
            throw new CrateException(source + ": pos_embedding has " + patches + " patch positions, which is not a square grid: "
                    + "pass the image size it was trained at (--image-size HxW)");
        }
        int inner = (int) qkv[0];
        int[] head = headFrom(shapes, hint);
        Pooling pool = opt.pool() != null ? opt.pool() : hint != null ? hint.pool() : Pooling.CLS;
        int code = shapes.containsKey("to_patch_embedding.code.weight") ? (int) shapes.get("to_patch_embedding.code.weight")[0] : 0;
        // η, λ and dropout: the preset's, or the defaults
        CrateConfig.Builder base = hint != null ? hint.toBuilder() : CrateConfig.builder();
        return base.image(grid[0] * patch, grid[1] * patch).patchSize(patch).channels(channels).classes(head[0]).dim(dim)
                .depth(depth).heads(1).headDim(inner).pool(pool).patchWindow(window).patchCode(code).headHidden(head[1])
                .attention(shapes.containsKey(TSSA_TEMPERATURE) ? Attention.TSSA : Attention.MSSA).mssa(mssaFrom(shapes)).build();
    }

    /** Tied when layer 0's MSSA carries the tied form's scale (our layout); the reference's free projection otherwise. */
    private static MssaOutput mssaFrom(Map<String, long[]> shapes) {
        return shapes.containsKey(LAYER_0 + Mssa.TIED_SCALE) ? MssaOutput.TIED : MssaOutput.FREE;
    }

    /** TSSA's {@code temp} has one row per head: the shapes tell the heads, and a contradicting --heads is refused. */
    private static int tssaHeads(String source, Map<String, long[]> shapes, Options opt) {
        int heads = (int) shapes.get(TSSA_TEMPERATURE)[0];
        if (opt.heads() > 0 && opt.heads() != heads) {
            throw new CrateException(source + ": --heads " + opt.heads() + " contradicts TSSA's temperature, which has " + heads
                    + " rows (one per head): drop --heads");
        }
        return heads;
    }

    /**
     * {classes, width of a first head stage or 0}: a {@code head.weight} (classes, w) after
     * mlp_head makes the head two-stage (the segmentation demo's layout); otherwise mlp_head's
     * Linear outputs the classes.
     */
    private static int[] headFrom(Map<String, long[]> shapes, CrateConfig hint) {
        long[] second = shapes.get("head.weight");
        if (second != null && second.length == 2) {
            return new int[] {(int) second[0], (int) second[1]};
        }
        long[] first = shapes.get("mlp_head.1.weight");
        return new int[] {first != null ? (int) first[0] : hint != null ? hint.numClasses() : 1000, 0};
    }

    /**
     * The heads: the flag, else those of the named preset (when it fits the widths) or of the
     * preset of exactly these shapes. A flag that contradicts the named preset, or the published
     * checkpoint the shapes identify (such as the segmentation demo's), is refused: the shapes
     * cannot tell 6 heads of width 128 from 12 of width 64, so a wrong count would load silently
     * and give wrong attention. 0 when nothing tells.
     */
    public static int headsFor(String source, Map<String, long[]> shapes, Options opt, CrateConfig shaped) {
        CrateConfig hint = opt.preset() == null ? null : Presets.get(opt.preset());
        int dim = shaped.dim(), depth = shaped.depth(), inner = shaped.innerDim();
        boolean hintFits = hint != null && hint.dim() == dim && hint.innerDim() == inner;
        List<String> same = Presets.sameShapes(shaped);
        String published = same.stream().filter(Presets::isPublished).findFirst().orElse(null);
        if (opt.heads() > 0 && hintFits && hint.heads() != opt.heads()) {
            throw contradiction(source, opt.heads(), "--model " + opt.preset(), hint, "drop --heads or name another --model");
        }
        if (opt.heads() > 0 && !hintFits && published != null && Presets.get(published).heads() != opt.heads()) {
            throw contradiction(source, opt.heads(), "the layout of " + published, Presets.get(published), "drop --heads");
        }
        int heads = opt.heads();
        if (heads <= 0 && hintFits) {
            heads = hint.heads();
        }
        if (heads <= 0 && shaped.mssa() == MssaOutput.FREE && !shapes.containsKey(LAYER_0 + "to_out.0.weight") && inner == dim) {
            heads = 1; // the reference drops the output projection only for one full-width head
        }
        if (heads <= 0 && !same.isEmpty()) {
            heads = Presets.get(same.get(0)).heads();
        }
        if (heads <= 0) {
            for (CrateConfig p : Presets.all().values()) {
                if (p.dim() == dim && p.depth() == depth && p.innerDim() == inner) {
                    heads = p.heads();
                    break;
                }
            }
        }
        if (heads > 0 && inner % heads != 0) {
            throw new CrateException(source + ": " + heads + " heads do not divide the qkv width " + inner
                    + ": pass --heads with a divisor of " + inner);
        }
        return heads;
    }

    /**
     * The patch size P < K that tiles an H×W image into {@code patches} tokens with K×K windows
     * (K − P even), or K itself when none does (the grid check then names the mismatch).
     */
    private static int overlappedPatch(int height, int width, int patches, int window) {
        for (int p = window - 2; p > 0; p -= 2) {
            if (height % p == 0 && width % p == 0 && (height / p) * (width / p) == patches) {
                return p;
            }
        }
        return window;
    }

    private static int[] grid(int patches, CrateConfig hint, int patch) {
        if (hint != null && hint.patchSize() == patch && hint.numPatches() == patches) {
            return new int[] {hint.gridHeight(), hint.gridWidth()};
        }
        int side = (int) Math.round(Math.sqrt(patches));
        return side * side == patches ? new int[] {side, side} : null;
    }

    private static int patchFrom(int patchDim, int channels) {
        if (patchDim % channels != 0) {
            return -1;
        }
        int p = (int) Math.round(Math.sqrt(patchDim / (double) channels));
        return p * p * channels == patchDim ? p : -1;
    }

    private static long[] need(String source, Map<String, long[]> shapes, String key, int rank) {
        return StateDictCheck.need(source, shapes, key, rank, "this is not a CRATE classifier checkpoint"
                + (shapes.containsKey("blocks.0.layers.0.0.fn.qkv.weight") ? " (it looks like CRATE-MAE: use the mae commands)" : ""));
    }

    private static CrateException contradiction(String source, int heads, String what, CrateConfig preset, String fix) {
        return new CrateException(source + ": --heads " + heads + " contradicts " + what + ", which has " + preset.heads()
                + " heads of width " + preset.headDim() + ": " + fix);
    }

    private static String headsHint(CrateConfig c) {
        return "model built as dim " + c.dim() + ", depth " + c.depth() + ", heads " + c.heads() + ", patch " + c.patchSize()
                + ", image " + c.imageHeight() + "x" + c.imageWidth() + ", classes " + c.numClasses()
                + (c.twoStageHead() ? " through a " + c.headHidden() + "-wide first head stage" : "")
                + " (use --model/--heads to change)";
    }

    /** Writes our safetensors: the tensors plus the config and preprocessing as metadata. Atomic. */
    public static void save(Crate model, Path path, Map<String, String> extraMetadata) {
        FamilySafetensors.write(model, path, extraMetadata);
    }
}
