package org.crate4j.vit;

import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.model.LoadOptions;

/**
 * Reads a ViT architecture off the shapes of a timm state dict: d, C and P from
 * {@code patch_embed.proj.weight} (d, C, P, P), the token count from {@code pos_embed}, L by
 * counting blocks, the MLP width from {@code mlp.fc1.weight} and the classes from
 * {@code head.weight}. Heads cannot be read off: they come from the options, the named preset, or
 * the preset of the same width and depth.
 */
public final class VitLayout {
    private VitLayout() {}

    /** Whether the keys are a timm ViT's: a patch stem and blocks with a fused qkv. */
    public static boolean recognises(Map<String, long[]> shapes) {
        return shapes.containsKey(VitKeys.weight(VitKeys.STEM)) && shapes.containsKey(VitKeys.weight(VitKeys.qkv(0)));
    }

    public static VitConfig infer(String source, Map<String, long[]> shapes, LoadOptions opt) {
        long[] stem = need(source, shapes, VitKeys.weight(VitKeys.STEM), 4);
        long[] pos = need(source, shapes, VitKeys.POSITIONS, 3);
        need(source, shapes, VitKeys.CLASS_TOKEN, 3);
        int dim = (int) stem[0], channels = (int) stem[1], patch = (int) stem[2];
        if (stem[2] != stem[3]) {
            throw new CrateException(source + ": " + VitKeys.weight(VitKeys.STEM) + " is " + StateDictCheck.shape(stem)
                    + ": only square patches are supported");
        }
        int depth = 0;
        while (shapes.containsKey(VitKeys.weight(VitKeys.qkv(depth)))) {
            depth++;
        }
        long[] qkv = need(source, shapes, VitKeys.weight(VitKeys.qkv(0)), 2);
        if (qkv[0] != 3L * dim) {
            throw new CrateException(source + ": " + VitKeys.weight(VitKeys.qkv(0)) + " is " + StateDictCheck.shape(qkv)
                    + ", not (3·d, d) for the width d = " + dim);
        }
        long[] fc1 = need(source, shapes, VitKeys.weight(VitKeys.fc1(0)), 2);
        VitConfig hint = opt.preset() == null ? null : VitPresets.get(opt.preset());
        int[] grid = opt.grid(source, "pos_embed", (int) pos[1] - 1, patch, presetGrid(hint, patch, (int) pos[1] - 1));
        int heads = headsFor(source, opt, hint, dim, depth);
        long[] head = shapes.get(VitKeys.weight(VitKeys.HEAD));
        int classes = opt.noHead() && opt.classes() > 0 ? opt.classes()
                : head != null ? (int) head[0] : hint != null ? hint.numClasses() : 1000;
        VitConfig base = hint != null ? hint : VitConfig.builder().build();
        return VitConfig.builder().image(grid[0] * patch, grid[1] * patch).patchSize(patch).channels(channels)
                .classes(classes).dim(dim).depth(depth).heads(heads).mlpHidden((int) fc1[0])
                .dropout(base.dropout()).attentionDropout(base.attentionDropout()).build();
    }

    /** The named preset's grid when it has this patch size and count, else null. */
    private static int[] presetGrid(VitConfig hint, int patch, int patches) {
        return hint != null && hint.patchSize() == patch && hint.numPatches() == patches
                ? new int[] {hint.gridHeight(), hint.gridWidth()} : null;
    }

    private static int headsFor(String source, LoadOptions opt, VitConfig hint, int dim, int depth) {
        int heads = opt.heads();
        if (heads <= 0 && hint != null && hint.dim() == dim) {
            heads = hint.heads();
        }
        if (heads <= 0) {
            for (VitConfig p : VitPresets.all().values()) {
                if (p.dim() == dim && p.depth() == depth) {
                    heads = p.heads();
                    break;
                }
            }
        }
        if (heads <= 0) {
            throw new CrateException(source + ": heads cannot be read off the shapes (width " + dim + ", depth " + depth
                    + "): pass the head count (timm's ViTs use heads of width 64: " + (dim % 64 == 0 ? dim / 64 + " here" : "d / 64")
                    + ") or a matching ViT preset");
        }
        if (dim % heads != 0) {
            throw new CrateException(source + ": " + heads + " heads do not divide the width " + dim
                    + ": pass a head count that divides " + dim);
        }
        return heads;
    }

    private static long[] need(String source, Map<String, long[]> shapes, String key, int rank) {
        return StateDictCheck.need(source, shapes, key, rank, "this is not a timm ViT checkpoint"
                + (shapes.containsKey("conv1.weight") ? " (it looks like CRATE-α)"
                : shapes.containsKey("to_patch_embedding.1.weight") ? " (it looks like a CRATE classifier)"
                : shapes.containsKey("blocks.0.layers.0.0.fn.qkv.weight") ? " (it looks like CRATE-MAE)" : ""));
    }
}
