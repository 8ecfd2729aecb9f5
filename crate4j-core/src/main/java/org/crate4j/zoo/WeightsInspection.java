package org.crate4j.zoo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.DType;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.checkpoint.TorchCheckpoint;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.io.Inputs;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.Attention;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.CrateWeights;
import org.crate4j.model.Presets;

/**
 * What a weights file is, told from its container, keys and shapes alone, without building a
 * model ({@code crate info --weights}): the family, the layout (which script wrote it), the config
 * the loaders would build, what they would ignore, miss or refuse, and the element types.
 *
 * @param container   how the bytes are stored (torch.save zip, legacy torch.save, safetensors)
 * @param layout      which writer the keys and wrapper point to (reference main.py, finetune.py, …)
 * @param classifier  the classifier's config (for {@link CheckpointKind#CLASSIFIER}), else null
 * @param mae         the CRATE-MAE config (for {@link CheckpointKind#MAE}), else null
 * @param headsKnown  false when neither the file, the flags nor a preset tell the heads: the
 *                    config then holds a stand-in head count, which changes no shape or count
 * @param problem     why no config could be read (null when one was)
 * @param presets     the presets whose shapes the file has exactly
 * @param ignored     what the loaders skip: wrapper entries that are not weights, optimizer state
 * @param missing     keys the config expects that the file lacks
 * @param unexpected  keys the file has that the config does not expect (the loaders refuse them)
 * @param misShaped   keys of the wrong shape, with both shapes
 */
public record WeightsInspection(Path path, CheckpointKind kind, String container, String layout,
        CrateConfig classifier, MaeConfig mae, boolean headsKnown, String problem, List<String> presets,
        int tensors, long values, Map<DType, Integer> dtypes, List<String> ignored,
        List<String> missing, List<String> unexpected, List<String> misShaped) {

    /** Inspects {@code path}; {@code preset} and {@code heads} (0: none) are read as the loaders read them. */
    public static WeightsInspection of(Path path, String preset, int heads) {
        Inputs.requireFile(path, "weights file");
        String container = container(path);
        LinkedHashMap<String, RawTensor> tensors;
        Map<String, String> metadata = Map.of();
        Map<String, Object> args = Map.of();
        List<String> ignored = new ArrayList<>();
        String envelopeText;
        TorchCheckpoint.Envelope envelope = null;
        if (container.startsWith("safetensors")) {
            Safetensors.Contents c = Safetensors.read(path);
            tensors = new LinkedHashMap<>(c.tensors());
            metadata = c.metadata();
            long optimizer = tensors.keySet().stream().filter(k -> k.startsWith(WeightsFile.OPTIMIZER_PREFIX)).count();
            tensors.keySet().removeIf(k -> k.startsWith(WeightsFile.OPTIMIZER_PREFIX));
            if (optimizer > 0) {
                ignored.add(optimizer + " optimizer-state tensors (" + WeightsFile.OPTIMIZER_PREFIX + "*)");
            }
            envelopeText = metadata.containsKey("format") ? "metadata format " + metadata.get("format") : "no crate4j metadata";
        } else {
            Object tree = TorchCheckpoint.read(path);
            String where = "checkpoint " + path.getFileName();
            tensors = TorchCheckpoint.stateDictOf(tree, where);
            envelope = TorchCheckpoint.envelopeOf(tree, where);
            args = MaeWeights.argsOf(tree);
            envelopeText = (envelope.wrapper() == null ? "state dict at the top level" : "state dict under '" + envelope.wrapper() + "'")
                    + (envelope.dataParallel() ? ", keys prefixed module. (DataParallel; stripped)" : "");
            if (!envelope.otherEntries().isEmpty()) {
                ignored.add("top-level " + String.join(", ", envelope.otherEntries()) + " (not weights)");
            }
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<DType, Integer> dtypes = new TreeMap<>();
        long values = 0;
        for (Map.Entry<String, RawTensor> e : tensors.entrySet()) {
            shapes.put(e.getKey(), e.getValue().shape());
            dtypes.merge(e.getValue().dtype(), 1, Integer::sum);
            values += e.getValue().numel();
        }
        CheckpointKind kind = CheckpointKind.of(shapes, metadata);
        if (kind == CheckpointKind.CLASSIFIER || kind == CheckpointKind.MAE) {
            NamedPreset.requireOf(kind, preset, path); // as the loaders refuse it
        }
        String layout = layout(kind, envelope, shapes, metadata, tensors.isEmpty()) + "; " + envelopeText;
        WeightsFile file = new WeightsFile(path, tensors, metadata);
        Parts parts = switch (kind) {
            case CLASSIFIER -> classifier(file, preset, heads);
            case MAE -> mae(new MaeWeights.Source(file, args), preset, heads);
            // their configs are read by their families' loaders, in FileSummary
            case CRATE_ALPHA, VIT, TOST -> new Parts(null, null, true, null, Map.of());
            default -> new Parts(null, null, false, "none of the families' keys: not a CRATE classifier (to_patch_embedding, "
                    + "transformer.layers.*), a CRATE-MAE (patch_embed.proj, blocks.*.layers.*), a CRATE-α (conv1, *.1.fn.D1), "
                    + "a ViT (blocks.*.attn.qkv) or a ToST (blocks.*.attn.temp, cls_attn_blocks.*)", Map.of());
        };
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), misShaped = new ArrayList<>();
        compare(parts.expected(), shapes, missing, unexpected, misShaped);
        List<String> same = parts.classifier() == null ? List.of() : Presets.sameShapes(parts.classifier());
        return new WeightsInspection(path, kind, container, layout, parts.classifier(), parts.mae(), parts.headsKnown(),
                parts.problem(), same, tensors.size(), values, dtypes, ignored, missing, unexpected, misShaped);
    }

    private record Parts(CrateConfig classifier, MaeConfig mae, boolean headsKnown, String problem, Map<String, long[]> expected) {}

    private static Parts classifier(WeightsFile file, String preset, int heads) {
        CrateWeights.Options opt = new CrateWeights.Options(preset, heads, false, 0, null);
        if (CrateWeights.FORMAT.equals(file.metadata().get("format")) && file.metadata().containsKey("config")) {
            CrateConfig c = CrateWeights.configFor(file, opt);
            return new Parts(c, null, true, null, c.parameterShapes());
        }
        String source = file.path().toString();
        CrateConfig shaped;
        try {
            shaped = CrateWeights.shaped(source, file.shapes(), opt);
        } catch (CrateException e) {
            return new Parts(null, null, false, e.getMessage(), Map.of());
        }
        int h = shaped.attention() == Attention.TSSA ? CrateWeights.infer(source, file.shapes(), opt).heads() // temp's rows
                : CrateWeights.headsFor(source, file.shapes(), opt, shaped); // a contradicting --heads fails here, as in the loaders
        CrateConfig c = h > 0 ? shaped.withHeads(h, shaped.innerDim() / h) : standIn(shaped, file.shapes());
        return new Parts(c, null, h > 0, null, c.parameterShapes());
    }

    /**
     * Heads only decide whether MSSA projects its output (one full-width head does not), so a
     * stand-in count with the file's choice gives every shape, count and FLOP figure right.
     */
    private static CrateConfig standIn(CrateConfig shaped, Map<String, long[]> shapes) {
        boolean projects = shapes.containsKey("transformer.layers.0.0.fn.to_out.0.weight");
        int inner = shaped.innerDim();
        return projects ? shaped.withHeads(inner, 1) : shaped.withHeads(1, inner);
    }

    private static Parts mae(MaeWeights.Source src, String preset, int heads) {
        try {
            MaeConfig c = MaeWeights.configFor(src, new MaeWeights.Options(preset, heads, 0, false, null, null, null));
            return new Parts(null, c, true, null, c.parameterShapes());
        } catch (CrateException e) {
            return new Parts(null, null, false, e.getMessage(), Map.of());
        }
    }

    /** Names the writer from the wrapper, its other entries and the keys. */
    private static String layout(CheckpointKind kind, TorchCheckpoint.Envelope env, Map<String, long[]> shapes,
            Map<String, String> metadata, boolean empty) {
        if (empty) {
            return "no tensors";
        }
        if (CrateWeights.FORMAT.equals(metadata.get("format"))) {
            return "crate4j classifier safetensors (config and preprocessing in the metadata)";
        }
        if (MaeWeights.FORMAT.equals(metadata.get("format"))) {
            return "crate4j CRATE-MAE safetensors (config in the metadata)";
        }
        CheckpointKind tagged = CheckpointKind.ofFormat(metadata.get("format"));
        if (tagged != CheckpointKind.UNKNOWN) {
            return "crate4j " + tagged.label().replaceFirst("^an? ", "") + " safetensors (config in the metadata)";
        }
        if (env == null) {
            return "safetensors without crate4j metadata (read as a reference state dict)";
        }
        List<String> other = env.otherEntries();
        switch (kind) {
            case CRATE_ALPHA:
                return "CRATE-α state dict (the published crate_alpha_*.pth layout)";
            case VIT:
                return "timm ViT state dict";
            case TOST:
                return other.contains("model_ema") || other.contains("optimizer") ? "ToST training-script checkpoint (model, optimizer, "
                        + "model_ema, args, …; the 'model' entry is read)" : "ToST state dict";
            default:
                break;
        }
        if (kind == CheckpointKind.MAE) {
            return other.contains("args") ? "CRATE-MAE pretraining checkpoint (with its training args)" : "CRATE-MAE state dict";
        }
        if (kind != CheckpointKind.CLASSIFIER) {
            return "unrecognised keys";
        }
        if ("state_dict".equals(env.wrapper()) && other.contains("epoch")) {
            return "reference main.py training checkpoint";
        }
        if ("model".equals(env.wrapper()) && (other.contains("optimizer") || other.contains("scaler"))) {
            return "reference finetune.py checkpoint";
        }
        if ("model".equals(env.wrapper()) && other.isEmpty()) {
            return shapes.containsKey("head.weight")
                    ? "emergence notebooks' demo checkpoint (as crate-demo.pth: two-stage head, mlp_head then head)"
                    : "emergence notebooks' checkpoint (as CRATE_small_21k, CRATE_base_21k, CRATE_base_768)";
        }
        return env.wrapper() == null ? "bare state dict (torch.save(model.state_dict()))" : "state dict under '" + env.wrapper() + "'";
    }

    private static void compare(Map<String, long[]> expected, Map<String, long[]> found, List<String> missing,
            List<String> unexpected, List<String> misShaped) {
        if (expected.isEmpty()) {
            return;
        }
        expected.forEach((k, s) -> {
            long[] f = found.get(k);
            if (f == null) {
                missing.add(k);
            } else if (!Arrays.equals(f, s)) {
                misShaped.add(k + " is " + StateDictCheck.shape(f) + ", expected " + StateDictCheck.shape(s));
            }
        });
        found.keySet().stream().filter(k -> !expected.containsKey(k)).forEach(unexpected::add);
    }

    private static String container(Path path) {
        String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".safetensors") || n.endsWith(".st")) {
            return "safetensors";
        }
        byte[] magic;
        try (InputStream in = Files.newInputStream(path)) {
            magic = in.readNBytes(2);
        } catch (IOException e) {
            throw new CrateException(path + ": cannot read (" + e.getMessage() + "); check the file is readable", e);
        }
        return magic.length == 2 && magic[0] == 'P' && magic[1] == 'K' ? "torch.save zip archive"
                : "legacy torch.save pickle (before PyTorch 1.6)";
    }
}
