package org.crate4j.alpha;

import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.model.LoadOptions;

/**
 * Reads a CRATE-α architecture off the tensor shapes of a reference state dict: d, C and P from
 * {@code conv1.weight} (d, C, P, P), the token count from {@code pos_embedding}, L by counting
 * layers, the MSSA width from {@code qkv}, the overcompleteness from {@code D} (d, r·d) and the
 * classes from {@code mlp_head.1.weight}. Heads cannot be read off (only h·k is): they come from
 * the options, the named preset, the one-head rule (no {@code to_out}), or the preset of the same
 * width, depth and MSSA width.
 */
public final class AlphaLayout {
    private AlphaLayout() {}

    /** Whether the keys are CRATE-α's: a {@code conv1} stem and ODL dictionaries. */
    public static boolean recognises(Map<String, long[]> shapes) {
        return shapes.containsKey(AlphaKeys.STEM_WEIGHT) && shapes.containsKey(AlphaKeys.dictionary(0));
    }

    public static AlphaConfig infer(String source, Map<String, long[]> shapes, LoadOptions opt) {
        long[] stem = need(source, shapes, AlphaKeys.STEM_WEIGHT, 4);
        long[] pos = need(source, shapes, AlphaKeys.POSITIONS, 3);
        need(source, shapes, AlphaKeys.CLASS_TOKEN, 3);
        int dim = (int) stem[0], channels = (int) stem[1], patch = (int) stem[2];
        if (stem[2] != stem[3]) {
            throw new CrateException(source + ": conv1.weight is " + StateDictCheck.shape(stem) + ": only square patches are supported");
        }
        int depth = 0;
        while (shapes.containsKey(AlphaKeys.qkv(depth))) {
            depth++;
        }
        long[] qkv = need(source, shapes, AlphaKeys.qkv(0), 2);
        long[] dictionary = need(source, shapes, AlphaKeys.dictionary(0), 2);
        if (dictionary[1] % dim != 0) {
            throw new CrateException(source + ": " + AlphaKeys.dictionary(0) + " is " + StateDictCheck.shape(dictionary)
                    + ", not (d, r·d) for the width d = " + dim);
        }
        AlphaConfig hint = opt.preset() == null ? null : AlphaPresets.get(opt.preset());
        int[] grid = opt.grid(source, "pos_embedding", (int) pos[1] - 1, patch, presetGrid(hint, patch, (int) pos[1] - 1));
        int inner = (int) qkv[0];
        int heads = headsFor(source, shapes, opt, hint, dim, depth, inner);
        long[] head = shapes.get(AlphaKeys.HEAD_WEIGHT);
        int classes = opt.noHead() && opt.classes() > 0 ? opt.classes()
                : head != null ? (int) head[0] : hint != null ? hint.numClasses() : 1000;
        AlphaConfig base = hint != null ? hint : AlphaConfig.builder().build();
        return AlphaConfig.builder().image(grid[0] * patch, grid[1] * patch).patchSize(patch).channels(channels)
                .classes(classes).dim(dim).depth(depth).heads(heads).headDim(inner / heads)
                .overcomplete((int) (dictionary[1] / dim)).eta(base.eta()).lambda(base.lambda()).dropout(base.dropout())
                .build();
    }

    /** The named preset's grid when it has this patch size and count, else null. */
    private static int[] presetGrid(AlphaConfig hint, int patch, int patches) {
        return hint != null && hint.patchSize() == patch && hint.numPatches() == patches
                ? new int[] {hint.gridHeight(), hint.gridWidth()} : null;
    }

    private static int headsFor(String source, Map<String, long[]> shapes, LoadOptions opt, AlphaConfig hint,
            int dim, int depth, int inner) {
        int heads = opt.heads();
        if (heads <= 0 && hint != null && hint.dim() == dim && hint.innerDim() == inner) {
            heads = hint.heads();
        }
        if (heads <= 0 && !shapes.containsKey(AlphaKeys.out(0)) && inner == dim) {
            heads = 1; // the reference drops the output projection only for one full-width head
        }
        if (heads <= 0) {
            for (AlphaConfig p : AlphaPresets.all().values()) {
                if (p.dim() == dim && p.depth() == depth && p.innerDim() == inner) {
                    heads = p.heads();
                    break;
                }
            }
        }
        if (heads <= 0) {
            throw new CrateException(source + ": heads cannot be read off the shapes (width " + dim + ", depth " + depth
                    + ", MSSA width " + inner + "): pass the head count or a matching CRATE-α preset");
        }
        if (inner % heads != 0) {
            throw new CrateException(source + ": " + heads + " heads do not divide the qkv width " + inner
                    + ": pass a head count that divides " + inner);
        }
        return heads;
    }

    private static long[] need(String source, Map<String, long[]> shapes, String key, int rank) {
        return StateDictCheck.need(source, shapes, key, rank, "this is not a CRATE-α checkpoint" + lookalike(shapes));
    }

    private static String lookalike(Map<String, long[]> shapes) {
        if (shapes.containsKey("to_patch_embedding.1.weight")) {
            return " (it looks like a CRATE classifier)";
        }
        if (shapes.containsKey("blocks.0.attn.qkv.weight")) {
            return " (it looks like a timm ViT)";
        }
        if (shapes.containsKey("patch_embed.proj.weight")) {
            return " (it looks like CRATE-MAE)";
        }
        return "";
    }
}
