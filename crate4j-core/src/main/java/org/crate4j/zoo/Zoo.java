package org.crate4j.zoo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.alpha.AlphaConfig;
import org.crate4j.alpha.AlphaPresets;
import org.crate4j.alpha.AlphaWeights;
import org.crate4j.alpha.CrateAlpha;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.mae.MaePresets;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.CrateWeights;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.LoadOptions;
import org.crate4j.model.Presets;
import org.crate4j.tost.Tost;
import org.crate4j.tost.TostConfig;
import org.crate4j.tost.TostPresets;
import org.crate4j.tost.TostWeights;
import org.crate4j.vit.VisionTransformer;
import org.crate4j.vit.VitConfig;
import org.crate4j.vit.VitPresets;
import org.crate4j.vit.VitWeights;

/**
 * The family registry, after timm's {@code create_model}: every preset by name across the
 * families, which family a weights file is ({@link CheckpointKind}), and one builder and one loader
 * that return any classifier family as an {@link ImageClassifier} on a device.
 */
public final class Zoo {
    private static final Map<String, Family> PRESETS = new LinkedHashMap<>();

    static {
        // the longer prefixes' families first, so that crate-alpha-* and crate-mae-* are not read as crate-*
        Presets.all().keySet().forEach(n -> PRESETS.put(n, Family.CRATE));
        MaePresets.all().keySet().forEach(n -> PRESETS.put(n, Family.CRATE_MAE));
        AlphaPresets.all().keySet().forEach(n -> PRESETS.put(n, Family.CRATE_ALPHA));
        VitPresets.all().keySet().forEach(n -> PRESETS.put(n, Family.VIT));
        TostPresets.all().keySet().forEach(n -> PRESETS.put(n, Family.TOST));
    }

    private Zoo() {}

    /** Every preset name with its family, in the families' order. */
    public static Map<String, Family> presets() {
        return Collections.unmodifiableMap(PRESETS);
    }

    public static boolean exists(String preset) {
        return preset != null && PRESETS.containsKey(preset.toLowerCase(java.util.Locale.ROOT));
    }

    /** The family of a preset; fails with every name when there is none such. */
    public static Family family(String preset) {
        Family f = preset == null ? null : PRESETS.get(preset.toLowerCase(java.util.Locale.ROOT));
        if (f == null) {
            throw new CrateException("unknown model '" + preset + "': choose one of " + String.join(", ", PRESETS.keySet()));
        }
        return f;
    }

    /** The preset names of one family. */
    public static List<String> presets(Family family) {
        List<String> out = new ArrayList<>();
        PRESETS.forEach((n, f) -> {
            if (f == family) {
                out.add(n);
            }
        });
        return out;
    }

    /** What a preset is: its family, sizes, parameters by part and in total, forward FLOPs. */
    public static PresetSummary summary(String preset) {
        return PresetSummary.of(preset, family(preset));
    }

    /**
     * How to fit a preset to a data set: each field replaces the preset's when positive (the
     * dropout when non-negative). The preset's other choices stay.
     */
    public record Fit(int channels, int classes, int imageSize, double dropout) {
        public static Fit none() {
            return new Fit(0, 0, 0, -1);
        }
    }

    /** A new classifier of {@code preset} fitted by {@code fit}, with its family's initialisation, on {@code device}. */
    public static ImageClassifier create(String preset, Fit fit, Device device) {
        Torch.init();
        switch (family(preset)) {
            case CRATE: {
                CrateConfig c = Presets.get(preset);
                c = fit.imageSize() > 0 ? c.withImageSize(fit.imageSize(), fit.imageSize()) : c;
                c = fit.channels() > 0 ? c.withChannels(fit.channels()) : c;
                c = fit.classes() > 0 ? c.withClasses(fit.classes()) : c;
                c = fit.dropout() >= 0 ? c.withDropout(fit.dropout(), c.embDropout()) : c;
                return Crate.create(c, device);
            }
            case CRATE_ALPHA: {
                AlphaConfig c = AlphaPresets.get(preset).with(b -> {
                    if (fit.imageSize() > 0) b.imageSize(fit.imageSize());
                    if (fit.channels() > 0) b.channels(fit.channels());
                    if (fit.classes() > 0) b.classes(fit.classes());
                    if (fit.dropout() >= 0) b.dropout(fit.dropout());
                });
                return CrateAlpha.create(c, device);
            }
            case VIT: {
                VitConfig c = VitPresets.get(preset).with(b -> {
                    if (fit.imageSize() > 0) b.imageSize(fit.imageSize());
                    if (fit.channels() > 0) b.channels(fit.channels());
                    if (fit.classes() > 0) b.classes(fit.classes());
                    if (fit.dropout() >= 0) b.attentionDropout(fit.dropout());
                });
                return VisionTransformer.create(c, device);
            }
            case TOST: {
                TostConfig c = TostPresets.get(preset).with(b -> {
                    if (fit.imageSize() > 0) b.imageSize(fit.imageSize());
                    if (fit.channels() > 0) b.channels(fit.channels());
                    if (fit.classes() > 0) b.classes(fit.classes());
                    if (fit.dropout() >= 0) b.attentionDropout(fit.dropout());
                });
                return Tost.create(c, device);
            }
            default:
                throw new CrateException(preset + " is a CRATE-MAE (masked autoencoder), not a classifier: use mae-pretrain, "
                        + "or a classifier preset (" + String.join(", ", presets(Family.CRATE).subList(0, 2)) + ", crate-alpha-b16, vit-base, "
                        + "tost-cab-small-12-p16, …)");
        }
    }

    /** The family of a weights file, from our metadata or the reference's keys; null when neither tells. */
    public static Family recognise(WeightsFile file) {
        return Family.of(CheckpointKind.of(file.shapes(), file.metadata()));
    }

    /** Reads {@code path} and loads the classifier it holds (see {@link #load(MaeWeights.Source, LoadOptions, Device)}). */
    public static ImageClassifier load(Path path, LoadOptions opt, Device device) {
        return load(MaeWeights.read(path), opt, device);
    }

    /**
     * The classifier an already-read file holds, of whichever family its keys or metadata name,
     * on {@code device}. {@code opt.preset()} must then be a preset of that family (it supplies
     * what the shapes leave open). Files no family recognises go to the CRATE loader, whose
     * messages say what is missing.
     */
    public static ImageClassifier load(MaeWeights.Source src, LoadOptions opt, Device device) {
        WeightsFile file = src.file();
        Family f = recognise(file);
        if (f == null) {
            f = Family.CRATE;
        }
        String preset = presetFor(f, opt.preset(), file.path());
        switch (f) {
            case CRATE:
                return CrateWeights.load(file, new CrateWeights.Options(preset, opt.heads(), opt.noHead(), opt.classes(), null)
                        .withImage(opt.imageHeight(), opt.imageWidth(), 0), device);
            case CRATE_ALPHA:
                return AlphaWeights.load(file, opt.with(b -> b.preset(preset))).to(device);
            case VIT:
                return VitWeights.load(file, opt.with(b -> b.preset(preset))).to(device);
            case TOST:
                return TostWeights.load(new TostWeights.Source(file, src.args()),
                        new TostWeights.Options(preset, opt.noHead(), opt.classes(), null)).to(device);
            default:
                throw new CrateException(file.path() + " is a CRATE-MAE checkpoint, not a classifier: use it with mae-pretrain, "
                        + "reconstruct, linear-probe or the analysis commands, or fine-tune its encoder");
        }
    }

    /** The preset to read the file with: the named one when it is of the file's family, none when none is named. */
    private static String presetFor(Family f, String preset, Path path) {
        if (preset == null) {
            return null;
        }
        if (f == Family.CRATE && !exists(preset)) {
            return preset; // the CRATE loader names its presets in its own message
        }
        Family named = family(preset);
        if (named != f) {
            throw new CrateException("--model " + preset + " is a " + named.label() + " preset, but " + path + " holds "
                    + f.kind().label() + " checkpoint: drop --model or name one of " + String.join(", ", presets(f)));
        }
        return preset;
    }
}
