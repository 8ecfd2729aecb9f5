package org.crate4j.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Torch;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.Fixtures;
import org.crate4j.model.LayerTrace;
import org.crate4j.model.LoadOptions;
import org.crate4j.train.Losses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VisionTransformerTest {
    @TempDir
    Path tmp;

    private static final VitConfig SMALL = VitConfig.builder().imageSize(16).patchSize(4).classes(5).dim(24).depth(2).heads(3).build();

    @Test
    void newModelIsInitialisedAsTimmDoes() {
        Torch.seed(11);
        VisionTransformer m = VisionTransformer.create(VitPresets.get("vit-tiny").with(b -> b.depth(2)));
        assertEquals(m.config().parameterCount(), m.parameters().count());
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor fc1 = m.parameters().get("blocks.0.mlp.fc1.weight");
            assertEquals(0.02, fc1.std().item_double(), 0.001, "trunc_normal_(std=.02)");
            assertTrue(fc1.abs().max().item_double() < 0.2);
            assertEquals(0.0, m.parameters().get("blocks.1.attn.qkv.bias").abs().max().item_double(), 0);
            assertEquals(0.02, m.parameters().get("pos_embed").std().item_double(), 0.001);
            assertTrue(m.parameters().get("cls_token").abs().max().item_double() < 1e-5, "normal_(std=1e-6)");
            double stemBound = 1 / Math.sqrt(3 * 16 * 16);   // the Conv2d keeps torch's default
            Tensor stem = m.parameters().get("patch_embed.proj.weight");
            assertTrue(stem.abs().max().item_double() <= stemBound);
            assertTrue(stem.abs().max().item_double() > 0.9 * stemBound);
            assertEquals(1.0, m.parameters().get("norm.weight").mean().item_double(), 0);
        }
    }

    @Test
    void gradientsReachEveryParameter() {
        Torch.seed(12);
        VisionTransformer m = VisionTransformer.create(SMALL).train(true);
        try (PointerScope s = new PointerScope()) {
            Tensor labels = Torch.fromFloats(new float[] {1, 2}, 2).to(torch.ScalarType.Long);
            Losses.crossEntropy(m.forward(torch.rand(2, 3, 16, 16)), labels, 0.0).backward();
            m.parameters().asMap().forEach((name, t) ->
                    assertTrue(t.grad().defined() && t.grad().abs().sum().item_double() > 0, name + " has a non-zero gradient"));
        }
    }

    @Test
    void sharedTracesCarryKeysAsSubspacesAndTheMlpHiddenAsTheCode() {
        Torch.seed(13);
        VisionTransformer m = VisionTransformer.create(SMALL);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor images = torch.rand(1, 3, 16, 16);
            List<VitLayerTrace> own = m.trace(images);
            List<LayerTrace> shared = m.layerTraces(images);
            Fixtures.assertClose("keys", RawTensor.ofFloats(Torch.toFloats(own.get(1).keys()), Torch.shape(own.get(1).keys())),
                    shared.get(1).subspaces());
            assertEquals("[1, 17, 96]", java.util.Arrays.toString(Torch.shape(shared.get(0).sparse())), "GELU(fc1) is (B, n, 4d)");
        }
    }

    @Test
    void timmSafetensorsLoadLikeItsPth() {
        WeightsFile pth = WeightsFile.read(ClassifierParityTest.fixture("vit_plain.pth"));
        Path st = tmp.resolve("model.safetensors");
        Safetensors.write(st, pth.tensors(), Map.of("format", "pt"));   // how timm's hub files are stored
        VisionTransformer m = VitWeights.load(st, LoadOptions.builder().heads(3).build());
        Fixtures.Expected exp = Fixtures.expected("vit_plain");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Fixtures.assertClose("logits", exp.get("logits"), m.forward(Fixtures.tensor(exp.get("images"))));
        }
    }

    @Test
    void savedWeightsReloadWithTheirConfig() {
        VisionTransformer m = VitWeights.load(ClassifierParityTest.fixture("vit_nonsquare.pth"),
                LoadOptions.builder().heads(4).image(12, 20).build());
        Path out = tmp.resolve("vit.safetensors");
        VitWeights.save(m, out, Map.of());
        assertEquals(m.config(), VitWeights.load(out, LoadOptions.defaults()).config());
    }

    @Test
    void shapesGiveThePresetOrAskForHeads() {
        VitConfig tiny = VitPresets.get("vit-tiny");
        assertEquals(tiny, VitLayout.infer("t", tiny.parameterShapes(), LoadOptions.defaults()));
        CrateException e = assertThrows(CrateException.class,
                () -> VitLayout.infer("t.pth", SMALL.parameterShapes(), LoadOptions.defaults()));
        assertTrue(e.getMessage().contains("heads cannot be read off the shapes"), e.getMessage());
        assertTrue(VitLayout.recognises(SMALL.parameterShapes()));
        e = assertThrows(CrateException.class, () -> VitWeights.load(ClassifierParityTest.fixture("alpha_plain.pth"),
                LoadOptions.builder().heads(3).build()));
        assertTrue(e.getMessage().contains("not a timm ViT checkpoint (it looks like CRATE-α)"), e.getMessage());
    }
}
