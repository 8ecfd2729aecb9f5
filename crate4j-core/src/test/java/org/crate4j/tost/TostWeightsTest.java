package org.crate4j.tost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading is by name and strict; our own files round-trip exactly, running statistics included. */
public class TostWeightsTest {
    @TempDir
    Path dir;

    @Test
    void referenceLayoutIsRecognisedAsToStNotMae() {
        WeightsFile f = WeightsFile.read(Fixtures.path("tost_p16_full.pth"));
        assertEquals(CheckpointKind.TOST, CheckpointKind.of(f.shapes(), f.metadata()));
        assertTrue(f.tensors().containsKey("patch_embed.proj.0.1.num_batches_tracked"));
    }

    @Test
    void savedModelReloadsWithTheSameOutputsAndStatistics() {
        Torch.init();
        Tost model = TostWeights.load(Fixtures.path("tost_p16_train.pth"), TostWeights.Options.defaults());
        Tensor images = Fixtures.tensor(Fixtures.expected("tost_p16_train").tensors(), "images");
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            model.train(true).forward(images);          // moves the running statistics and the counts
        }
        model.train(false);
        Path out = dir.resolve("tost.safetensors");
        TostWeights.save(model, out, Map.of("note", "test"));
        Safetensors.Contents c = Safetensors.read(out);
        assertEquals(TostWeights.FORMAT, c.metadata().get("format"));
        assertEquals("I64", c.tensors().get("patch_embed.proj.0.1.num_batches_tracked").dtype().safetensorsName());
        Tost back = TostWeights.load(out, TostWeights.Options.defaults());
        assertEquals(model.config(), back.config());
        assertEquals(1001L, back.statistics().get("patch_embed.proj.0.1.num_batches_tracked").item_long());
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            assertEquals(0.0, Fixtures.maxDiff(model.forward(images), back.forward(images)));
        }
    }

    @Test
    void missingUnexpectedAndMisShapedKeysAreNamedInOneLine() {
        Map<String, RawTensor> t = new LinkedHashMap<>(WeightsFile.read(Fixtures.path("tost_p16_ragged.pth")).tensors());
        t.remove("blocks.0.mlp.fc2.bias");
        t.put("blocks.0.attn.extra", RawTensor.ofFloats(new float[] {1}, 1));
        t.put("norm.weight", RawTensor.ofFloats(new float[3], 3));
        Path bad = dir.resolve("bad.safetensors");
        Safetensors.write(bad, t, Map.of());
        CrateException e = assertThrows(CrateException.class, () -> TostWeights.load(bad, TostWeights.Options.defaults()));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.contains("missing [blocks.0.mlp.fc2.bias]"), m);
        assertTrue(m.contains("unexpected [blocks.0.attn.extra]"), m);
        assertTrue(m.contains("norm.weight is (3,) but the model expects (40,)"), m);
    }

    @Test
    void newHeadKeepsTheBackboneAndChangesTheClasses() {
        Torch.seed(1);
        Tost model = TostWeights.load(Fixtures.path("tost_p16_full.pth"), TostWeights.Options.defaults().withNewHead(11));
        assertEquals(11, model.config().numClasses());
        assertEquals("[11, 24]", java.util.Arrays.toString(Torch.shape(model.parameters().get("head.weight"))));
        Tost original = TostWeights.load(Fixtures.path("tost_p16_full.pth"), TostWeights.Options.defaults());
        Tensor images = Fixtures.tensor(Fixtures.expected("tost_p16_full").tensors(), "images");
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            assertEquals(0.0, Fixtures.maxDiff(model.forwardFeatures(images), original.forwardFeatures(images)));
        }
    }

    @Test
    void otherFamiliesAndBrokenStemsAreRefused() {
        CrateException crate = assertThrows(CrateException.class,
                () -> TostWeights.load(Fixtures.path("crate_main_module.pth"), TostWeights.Options.defaults()));
        assertTrue(crate.getMessage().contains("a CRATE classifier checkpoint, not a ToST one"), crate.getMessage());
        Map<String, RawTensor> t = new LinkedHashMap<>(WeightsFile.read(Fixtures.path("tost_p16_ragged.pth")).tensors());
        t.keySet().removeIf(k -> k.startsWith("patch_embed.proj.6.") || k.startsWith("patch_embed.proj.4."));
        Path two = dir.resolve("two-stage.safetensors");
        Safetensors.write(two, t, Map.of());
        CrateException stem = assertThrows(CrateException.class, () -> TostWeights.load(two, TostWeights.Options.defaults()));
        assertTrue(stem.getMessage().contains("has 2 stages"), stem.getMessage());
    }

    @Test
    void aFreshModelSavesAndLoadsWithItsOwnConfig() throws Exception {
        Torch.seed(2);
        TostConfig c = TostConfig.builder().imageSize(32).patchSize(8).dim(16).depth(1).heads(2).classes(3)
                .qkvBias(false).tokensNorm(false).mlpRatio(2).build();
        Tost m = Tost.create(c);
        Path out = dir.resolve("fresh.safetensors");
        TostWeights.save(m, out, Map.of());
        assertTrue(Files.size(out) > 0);
        Tost back = TostWeights.load(out, TostWeights.Options.defaults());
        assertEquals(c, back.config(), "tokens_norm and the rest come from the metadata");
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = torch.rand(2, 3, 32, 32);
            assertEquals(0.0, Fixtures.maxDiff(m.forward(x), back.forward(x)));
        }
    }
}
