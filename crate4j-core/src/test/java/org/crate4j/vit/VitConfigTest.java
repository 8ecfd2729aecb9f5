package org.crate4j.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.crate4j.CrateException;
import org.crate4j.alpha.AlphaPresets;
import org.crate4j.model.ParameterKind;
import org.crate4j.model.ParameterSpec;
import org.junit.jupiter.api.Test;

class VitConfigTest {
    @Test
    void presetsHaveTimmsParameterCounts() {
        // sum(p.numel()) of timm's vit_tiny/small/base_patch16_224
        assertEquals(5_717_416, VitPresets.get("vit-tiny").parameterCount());
        assertEquals(22_050_664, VitPresets.get("vit-small").parameterCount());
        assertEquals(86_567_656, VitPresets.get("vit-base").parameterCount());
        assertEquals(64, VitPresets.get("vit-tiny").headDim());
    }

    @Test
    void specsFollowTimmsStateDictOrderAndKinds() {
        VitConfig c = VitConfig.builder().imageSize(16).patchSize(4).classes(5).dim(24).depth(1).heads(3).build();
        List<String> names = new ArrayList<>();
        c.parameterSpecs().forEach(s -> names.add(s.name()));
        assertEquals(List.of("cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias",
                "blocks.0.norm1.weight", "blocks.0.norm1.bias", "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias",
                "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias", "blocks.0.norm2.weight", "blocks.0.norm2.bias",
                "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias",
                "norm.weight", "norm.bias", "head.weight", "head.bias"), names);
        List<ParameterKind> kinds = new ArrayList<>();
        c.parameterSpecs().forEach(s -> kinds.add(s.kind()));
        assertEquals(List.of(ParameterKind.TOKEN, ParameterKind.EMBEDDING, ParameterKind.CONV_WEIGHT, ParameterKind.CONV_BIAS,
                ParameterKind.NORM_SCALE, ParameterKind.NORM_SHIFT), kinds.subList(0, 6));
        assertEquals(96, c.mlpHidden(), "mlp ratio 4 by default");
    }

    @Test
    void weightDecayFollowsTheKind() {
        List<String> decayed = new ArrayList<>();
        for (ParameterSpec s : VitPresets.get("vit-tiny").with(b -> b.depth(1)).parameterSpecs()) {
            if (s.kind().decays()) {
                decayed.add(s.name());
            }
        }
        assertEquals(List.of("patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.weight",
                "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc2.weight", "head.weight"), decayed);
    }

    @Test
    void theFashionMnistSizesMatchCrateAlphas() {
        VitConfig vit = VitPresets.get("vit-fmnist");
        var alpha = AlphaPresets.get("crate-alpha-fmnist");
        assertEquals(alpha.dim(), vit.dim());
        assertEquals(alpha.depth(), vit.depth());
        assertEquals(alpha.heads(), vit.heads());
        assertEquals(alpha.patchSize(), vit.patchSize());
    }

    @Test
    void builderAndJson() {
        VitConfig b = VitPresets.get("vit-base");
        VitConfig small = b.with(x -> x.dim(384).heads(6).mlpHidden(1536));
        assertEquals(VitPresets.get("vit-small"), small);
        assertEquals(b, VitWeights.fromJson(VitWeights.toJson(b)));
        CrateException e = assertThrows(CrateException.class, () -> VitConfig.builder().dim(100).heads(3).build());
        assertTrue(e.getMessage().contains("heads 3 do not divide the width 100"), e.getMessage());
    }
}
