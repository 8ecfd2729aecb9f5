package org.crate4j.alpha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Torch;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.Fixtures;
import org.crate4j.model.LoadOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlphaWeightsTest {
    @TempDir
    Path tmp;

    private static final LoadOptions PLAIN = LoadOptions.builder().heads(3).build();

    @Test
    void publishedShapesNameTheirPresetWithoutOptions() {
        for (String name : new String[] {"crate-alpha-b16", "crate-alpha-b32", "crate-alpha-l14"}) {
            AlphaConfig preset = AlphaPresets.get(name);
            assertEquals(preset, AlphaLayout.infer(name, preset.parameterShapes(), LoadOptions.defaults()), name);
        }
    }

    @Test
    void headsThatShapesCannotGiveAreAskedFor() {
        Map<String, long[]> shapes = AlphaConfig.builder().imageSize(16).patchSize(4).dim(24).depth(2).heads(3).build().parameterShapes();
        CrateException e = assertThrows(CrateException.class, () -> AlphaLayout.infer("f.pth", shapes, LoadOptions.defaults()));
        assertTrue(e.getMessage().contains("heads cannot be read off the shapes"), e.getMessage());
        assertEquals(3, AlphaLayout.infer("f.pth", shapes, PLAIN).heads());
        e = assertThrows(CrateException.class, () -> AlphaLayout.infer("f.pth", shapes, PLAIN.with(b -> b.heads(5))));
        assertTrue(e.getMessage().contains("5 heads do not divide the qkv width 24"), e.getMessage());
    }

    @Test
    void missingAndMisShapedKeysAreNamedInOneLine() {
        WeightsFile file = WeightsFile.read(ClassifierParityTest.fixture("alpha_plain.pth"));
        LinkedHashMap<String, RawTensor> t = new LinkedHashMap<>(file.tensors());
        t.remove("transformer.layers.0.1.fn.D1");
        t.put("transformer.layers.1.1.fn.D", RawTensor.ofFloats(new float[24 * 48], 24, 48));
        t.put("extra.weight", RawTensor.ofFloats(new float[1], 1));
        CrateException e = assertThrows(CrateException.class,
                () -> AlphaWeights.load(new WeightsFile(file.path(), t, Map.of()), PLAIN));
        String m = e.getMessage();
        assertTrue(m.contains("missing [transformer.layers.0.1.fn.D1]"), m);
        assertTrue(m.contains("unexpected [extra.weight]"), m);
        assertTrue(m.contains("transformer.layers.1.1.fn.D is (24, 48) but the model expects (24, 96)"), m);
        assertTrue(m.startsWith(file.path() + ": weights do not fit the model: 1 mis-shaped"), m);
        assertTrue(!m.contains("\n"), "one line");
    }

    @Test
    void otherFamiliesAreNamed() {
        CrateException e = assertThrows(CrateException.class,
                () -> AlphaWeights.load(ClassifierParityTest.fixture("crate_main_module.pth"), PLAIN));
        assertTrue(e.getMessage().contains("not a CRATE-α checkpoint (it looks like a CRATE classifier)"), e.getMessage());
        e = assertThrows(CrateException.class, () -> AlphaWeights.load(ClassifierParityTest.fixture("vit_plain.pth"), PLAIN));
        assertTrue(e.getMessage().contains("(it looks like a timm ViT)"), e.getMessage());
    }

    @Test
    void savedWeightsReloadWithTheirConfigAndGiveTheSameLogits() {
        CrateAlpha model = AlphaWeights.load(ClassifierParityTest.fixture("alpha_nonsquare.pth"),
                LoadOptions.builder().heads(2).image(12, 20).build());
        Path out = tmp.resolve("alpha.safetensors");
        AlphaWeights.save(model, out, Map.of("note", "test"));
        CrateAlpha again = AlphaWeights.load(out, LoadOptions.defaults());
        assertEquals(model.config(), again.config());
        Fixtures.Expected exp = Fixtures.expected("alpha_nonsquare");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Fixtures.assertClose("reloaded logits", exp.get("logits"), again.forward(Fixtures.tensor(exp.get("images"))));
        }
    }

    @Test
    void withoutTheHeadTheBackboneIsTheFilesAndTheHeadIsNew() {
        Torch.seed(9);
        CrateAlpha model = AlphaWeights.load(ClassifierParityTest.fixture("alpha_plain.pth"),
                PLAIN.with(b -> b.noHead(true).classes(7)));
        assertEquals(7, model.config().numClasses());
        WeightsFile file = WeightsFile.read(ClassifierParityTest.fixture("alpha_plain.pth"));
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor d = model.parameters().get("transformer.layers.1.1.fn.D");
            Fixtures.assertClose("D kept", file.tensors().get("transformer.layers.1.1.fn.D"), d);
            assertEquals(7, model.parameters().get("mlp_head.1.weight").size(0));
        }
    }
}
