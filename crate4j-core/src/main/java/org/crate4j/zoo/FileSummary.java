package org.crate4j.zoo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.alpha.AlphaWeights;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.LoadOptions;
import org.crate4j.tost.TostWeights;
import org.crate4j.vit.VitWeights;

/**
 * What {@code crate info --weights} adds for a CRATE-α, ViT or ToST file to what
 * {@link WeightsInspection} reads off any file: the config its family's loader would build (or
 * why none), and the keys that loader would miss, refuse or find mis-shaped.
 */
public record FileSummary(PresetSummary config, String problem, List<String> missing, List<String> unexpected,
        List<String> misShaped) {

    /** Null for the families {@link WeightsInspection} describes itself (CRATE, CRATE-MAE) and for unknown files. */
    public static FileSummary of(WeightsInspection w, String preset, int heads) {
        Family f = Family.of(w.kind());
        if (f == null || f == Family.CRATE || f == Family.CRATE_MAE) {
            return null;
        }
        MaeWeights.Source src = MaeWeights.read(w.path());
        WeightsFile file = src.file();
        String named = preset != null && Zoo.exists(preset) && Zoo.family(preset) == f ? preset : null;
        PresetSummary c;
        try {
            LoadOptions opt = LoadOptions.builder().preset(named).heads(heads).build();
            String label = w.path().getFileName().toString();
            c = switch (f) {
                case CRATE_ALPHA -> PresetSummary.of(label, AlphaWeights.configFor(file, opt));
                case VIT -> PresetSummary.of(label, VitWeights.configFor(file, opt));
                default -> PresetSummary.of(label, TostWeights.configFor(new TostWeights.Source(file, src.args()),
                        new TostWeights.Options(named, false, 0, null)));
            };
        } catch (CrateException e) {
            return new FileSummary(null, e.getMessage(), List.of(), List.of(), List.of());
        }
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), misShaped = new ArrayList<>();
        Map<String, long[]> found = file.shapes();
        c.shapes().forEach((k, s) -> {
            long[] have = found.get(k);
            if (have == null) {
                missing.add(k);
            } else if (!Arrays.equals(have, s)) {
                misShaped.add(k + " is " + StateDictCheck.shape(have) + ", expected " + StateDictCheck.shape(s));
            }
        });
        found.keySet().stream().filter(k -> !c.shapes().containsKey(k)).forEach(unexpected::add);
        return new FileSummary(c, null, missing, unexpected, misShaped);
    }
}
