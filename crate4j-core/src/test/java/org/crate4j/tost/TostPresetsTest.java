package org.crate4j.tost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.engine.Torch;
import org.crate4j.model.ParameterKind;
import org.crate4j.model.ParameterSpec;
import org.junit.jupiter.api.Test;

/** The presets' sizes equal what the reference's code builds, and every tensor has its kind. */
public class TostPresetsTest {

    @Test
    void parameterCountsEqualTheReferenceModels() {
        // sum(p.numel() for p in model.parameters()) of the reference's tost_cab_* models at 1000 classes
        Map<String, Long> reference = Map.of(
                "tost-cab-tiny-12-p16", 5_769_328L, "tost-cab-small-12-p16", 22_589_944L,
                "tost-cab-tiny-24-p16", 10_223_008L, "tost-cab-small-24-p16", 40_344_664L,
                "tost-cab-medium-24-p16", 71_481_064L, "tost-cab-large-24-p16", 160_286_920L);
        reference.forEach((name, count) -> assertEquals(count, TostPresets.get(name).parameterCount(), name));
        // patch 8: the same layout with a three-stage stem (d/4, d/2, d); counted from it, not from running the reference
        assertEquals(5_759_560L, TostPresets.get("tost-cab-tiny-12-p8").parameterCount());
        assertEquals(160_123_432L, TostPresets.get("tost-cab-large-24-p8").parameterCount());
    }

    @Test
    void presetsFollowTheReferenceRegistry() {
        TostConfig s = TostPresets.get("tost-cab-small-12-p16");
        assertEquals(384, s.dim());
        assertEquals(8, s.heads());
        assertEquals(1.0, s.layerScale());
        assertEquals(1e-5, TostPresets.get("tost-cab-medium-24-p16").layerScale());
        assertEquals(16, TostPresets.get("TOST-CAB-LARGE-24-P16").heads());
        assertEquals(196, s.numPatches());
        assertEquals(13, TostPresets.all().size()); // twelve reference models and tost-fmnist
        CrateException e = assertThrows(CrateException.class, () -> TostPresets.get("tost-huge"));
        assertTrue(e.getMessage().contains("tost-cab-tiny-12-p16"), e.getMessage());
    }

    @Test
    void builtModelCountsWhatItsSpecsSayAndClassifies224Images() {
        Torch.seed(0);
        TostConfig c = TostPresets.get("tost-cab-tiny-12-p16");
        Tost model = Tost.create(c);
        assertEquals(5_769_328L, model.parameters().count());
        assertEquals(4 * 3, model.statistics().size());
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor logits = model.forward(torch.rand(1, 3, 224, 224));
            assertEquals("[1, 1000]", java.util.Arrays.toString(Torch.shape(logits)));
            TostTrace t = model.trace(torch.rand(1, 3, 224, 224));
            assertEquals("[1, 4, 196]", java.util.Arrays.toString(Torch.shape(t.blocks().get(11).pi())));
            assertEquals("[1, 4, 197]", java.util.Arrays.toString(Torch.shape(t.classAttention().get(1).attention())));
        }
    }

    @Test
    void kindsDecideWeightDecay() {
        Map<String, ParameterKind> kinds = new java.util.LinkedHashMap<>();
        for (ParameterSpec s : TostPresets.get("tost-cab-tiny-12-p16").parameterSpecs()) {
            kinds.put(s.name(), s.kind());
        }
        assertEquals(ParameterKind.TEMPERATURE, kinds.get("blocks.0.attn.temp"));
        assertEquals(ParameterKind.LAYER_SCALE, kinds.get("blocks.5.gamma2"));
        assertEquals(ParameterKind.LAYER_SCALE, kinds.get("cls_attn_blocks.1.gamma1"));
        assertEquals(ParameterKind.NORM, kinds.get("patch_embed.proj.6.1.weight"));
        assertEquals(ParameterKind.NORM, kinds.get("norm.bias"));
        assertEquals(ParameterKind.STATISTIC, kinds.get("patch_embed.proj.2.1.running_var"));
        assertEquals(ParameterKind.TOKEN, kinds.get("cls_token"));
        assertEquals(ParameterKind.BIAS, kinds.get("blocks.0.attn.qkv.bias"));
        assertEquals(ParameterKind.WEIGHT, kinds.get("patch_embed.proj.0.0.weight"));
        assertEquals(ParameterKind.WEIGHT, kinds.get("pos_embeder.token_projection.weight"));
        for (Map.Entry<String, ParameterKind> e : kinds.entrySet()) {
            boolean matrix = e.getKey().endsWith(".weight") && e.getValue() == ParameterKind.WEIGHT;
            assertEquals(matrix, e.getValue().decays(), e.getKey());
        }
        assertFalse(ParameterKind.STATISTIC.trainable());
    }

    @Test
    void configRoundTripsThroughItsBuilderAndJson() {
        TostConfig c = TostPresets.get("tost-cab-small-24-p16").with(b -> b.classes(10).image(32, 48).dropPath(0.1));
        assertEquals(10, c.numClasses());
        assertEquals(384, c.dim());
        assertEquals(c, c.toBuilder().build());
        assertEquals(c, TostConfigJson.fromJson(TostConfigJson.toJson(c)));
        assertEquals("[2, 3]", java.util.Arrays.toString(c.grid(32, 48)));
        assertEquals("[3, 2]", java.util.Arrays.toString(c.grid(36, 28)), "each stride-2 stage rounds up");
        assertThrows(CrateException.class, () -> c.with(b -> b.patchSize(14)));
        assertThrows(CrateException.class, () -> c.with(b -> b.heads(7)));
        assertThrows(CrateException.class, () -> c.with(b -> b.dropPath(1.0)));
    }
}
