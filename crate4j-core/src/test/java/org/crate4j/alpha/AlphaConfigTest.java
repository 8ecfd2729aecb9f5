package org.crate4j.alpha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.crate4j.CrateException;
import org.crate4j.model.ParameterKind;
import org.crate4j.model.ParameterSpec;
import org.junit.jupiter.api.Test;

class AlphaConfigTest {
    @Test
    void presetsHaveTheReferenceParameterCounts() {
        // as torch counts UCSC-VLAA/CRATE-alpha's CRATE_base(), the same at patch 32, and CRATE_large()
        assertEquals(72_328_936, AlphaPresets.get("crate-alpha-b16").parameterCount());
        assertEquals(73_985_512, AlphaPresets.get("crate-alpha-b32").parameterCount());
        assertEquals(253_650_920, AlphaPresets.get("crate-alpha-l14").parameterCount());
    }

    @Test
    void presetsHaveThePapersShapes() {
        AlphaConfig l14 = AlphaPresets.get("crate-alpha-l14");
        assertEquals(1024, l14.dim());
        assertEquals(24, l14.depth());
        assertEquals(16, l14.heads());
        assertEquals(64, l14.headDim());
        assertEquals(4096, l14.codeDim());
        assertEquals(257, l14.numTokens());
        assertEquals(50, AlphaPresets.get("crate-alpha-b32").numTokens());
        CrateException e = assertThrows(CrateException.class, () -> AlphaPresets.get("crate-alpha-x"));
        assertTrue(e.getMessage().contains("crate-alpha-b16"), e.getMessage());
    }

    @Test
    void specsFollowTheReferenceStateDictOrderAndKinds() {
        AlphaConfig c = AlphaConfig.builder().imageSize(16).patchSize(4).classes(5).dim(24).depth(1).heads(3).build();
        List<String> names = new ArrayList<>();
        c.parameterSpecs().forEach(s -> names.add(s.name()));
        assertEquals(List.of("pos_embedding", "cls_token", "conv1.weight", "conv1.bias",
                "transformer.layers.0.0.norm.weight", "transformer.layers.0.0.norm.bias", "transformer.layers.0.0.fn.qkv.weight",
                "transformer.layers.0.0.fn.to_out.0.weight", "transformer.layers.0.1.norm.weight", "transformer.layers.0.1.norm.bias",
                "transformer.layers.0.1.fn.D", "transformer.layers.0.1.fn.D1",
                "mlp_head.0.weight", "mlp_head.0.bias", "mlp_head.1.weight", "mlp_head.1.bias"), names);
        ParameterSpec d = c.parameterSpecs().get(10);
        assertEquals(ParameterKind.DICTIONARY, d.kind());
        assertEquals(List.of(24L, 96L), List.of(d.shape()[0], d.shape()[1]));
        assertEquals(96, d.fanIn());
        assertEquals(ParameterKind.CONV_WEIGHT, c.parameterSpecs().get(2).kind());
        assertEquals(48, c.parameterSpecs().get(3).fanIn(), "the stem bias scales by the conv's fan-in C·P²");
    }

    @Test
    void builderChangesOnlyWhatItIsTold() {
        AlphaConfig b16 = AlphaPresets.get("crate-alpha-b16");
        AlphaConfig wide = b16.with(b -> b.dim(96).heads(3).headDim(32));
        assertEquals(96, wide.dim());
        assertEquals(b16.depth(), wide.depth());
        assertEquals(b16.patchSize(), wide.patchSize());
        assertEquals(b16.eta(), wide.eta());
        assertEquals(b16, b16.toBuilder().build());
    }

    @Test
    void oneFullWidthHeadHasNoOutputProjection() {
        AlphaConfig one = AlphaConfig.builder().imageSize(16).patchSize(8).dim(16).depth(1).heads(1).build();
        assertFalse(one.projectsOut());
        assertTrue(one.parameterShapes().keySet().stream().noneMatch(k -> k.contains("to_out")));
    }

    @Test
    void badSizesAreRefusedWithTheReason() {
        CrateException e = assertThrows(CrateException.class, () -> AlphaConfig.builder().dim(100).heads(3).build());
        assertTrue(e.getMessage().contains("heads 3 do not divide the width 100"), e.getMessage());
        e = assertThrows(CrateException.class, () -> AlphaConfig.builder().imageSize(30).patchSize(8).build());
        assertTrue(e.getMessage().contains("not divisible by patch 8"), e.getMessage());
    }

    @Test
    void configSurvivesItsJson() {
        AlphaConfig c = AlphaPresets.get("crate-alpha-fmnist").with(b -> b.lambda(0.25));
        assertEquals(c, AlphaWeights.fromJson(AlphaWeights.toJson(c)));
        CrateException e = assertThrows(CrateException.class, () -> AlphaWeights.fromJson("{\"dim\": 8}"));
        assertTrue(e.getMessage().startsWith("CRATE-α config in metadata is not valid"), e.getMessage());
    }

    /** Malformed JSON and a nonsense value are one line naming the family, for every family that reads its config this way. */
    @Test
    void aBadConfigIsOneLineNamingItsFamily() {
        java.util.Map<String, java.util.function.Function<String, Object>> readers = new java.util.LinkedHashMap<>();
        readers.put("CRATE-α", AlphaWeights::fromJson);
        readers.put("MAE", org.crate4j.mae.MaeWeights::configFromJson);
        readers.put("ToST", org.crate4j.tost.TostConfigJson::fromJson);
        readers.forEach((family, read) -> {
            for (String json : new String[] {"{\"imageSize\": [", "{\"imageSize\": 28, \"patchSize\": -3}", "null"}) {
                CrateException e = assertThrows(CrateException.class, () -> read.apply(json), family + " " + json);
                assertTrue(e.getMessage().startsWith(family + " config in metadata is "), e.getMessage());
                assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            }
        });
    }
}
