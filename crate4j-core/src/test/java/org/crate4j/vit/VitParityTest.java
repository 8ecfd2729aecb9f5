package org.crate4j.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.crate4j.model.Fixtures.assertClose;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.Fixtures;
import org.crate4j.model.LoadOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ViT's logits, normed features and every block's intermediates equal PyTorch's on a timm
 * state dict. The fixtures come from tools/fixtures/make_alpha_vit_fixtures.py, which takes
 * queries, keys and values head by head as row blocks of the fused qkv weight (the Java side
 * reshapes the fused output).
 */
class VitParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"vit_plain", "vit_nonsquare"})
    void matchesPyTorchOnTimmsLayout(String name) {
        Fixtures.Expected exp = Fixtures.expected(name);
        LoadOptions opt = LoadOptions.builder().heads(exp.integer("heads")).image(exp.integer("height"), exp.integer("width")).build();
        VisionTransformer model = VitWeights.load(ClassifierParityTest.fixture(name + ".pth"), opt);
        VitConfig c = model.config();
        assertEquals(exp.integer("dim"), c.dim());
        assertEquals(exp.integer("depth"), c.depth());
        assertEquals(exp.integer("patch"), c.patchSize());
        assertEquals(exp.integer("channels"), c.channels());
        assertEquals(exp.integer("classes"), c.numClasses());
        assertEquals(exp.integer("mlp_hidden"), c.mlpHidden());
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor images = Fixtures.tensor(exp.get("images"));
            List<VitLayerTrace> trace = new ArrayList<>();
            Tensor features = model.forwardFeatures(images, trace);
            assertEquals(c.depth(), trace.size());
            assertClose(name + " features", exp.get("features"), features);
            assertClose(name + " logits", exp.get("logits"), model.forwardHead(features));
            assertClose(name + " logits (fused attention)", exp.get("logits"), model.forward(images));
            for (int i = 0; i < trace.size(); i++) {
                VitLayerTrace t = trace.get(i);
                String l = name + " block " + i + " ";
                assertClose(l + "input", exp.get("layer" + i + ".input"), t.input());
                assertClose(l + "Q", exp.get("layer" + i + ".queries"), t.queries());
                assertClose(l + "K", exp.get("layer" + i + ".keys"), t.keys());
                assertClose(l + "V", exp.get("layer" + i + ".values"), t.values());
                assertClose(l + "A", exp.get("layer" + i + ".attention"), t.attention());
                assertClose(l + "attended", exp.get("layer" + i + ".attended"), t.attended());
                assertClose(l + "MLP hidden", exp.get("layer" + i + ".hidden"), t.hidden());
                assertClose(l + "output", exp.get("layer" + i + ".output"), t.output());
            }
        }
    }
}
