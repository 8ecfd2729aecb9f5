package org.crate4j.alpha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.crate4j.model.Fixtures.assertClose;

import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.Fixtures;
import org.crate4j.model.LoadOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CRATE-α's logits, features and every layer's intermediates equal PyTorch's on the same weights,
 * read from the published layout (a plain state dict). The fixtures come from
 * tools/fixtures/make_alpha_vit_fixtures.py, which computes ODL on column vectors as the paper
 * writes it (the Java side works on rows).
 */
class AlphaParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"alpha_plain", "alpha_nonsquare", "alpha_one_head"})
    void matchesPyTorchOnThePublishedLayout(String name) {
        Fixtures.Expected exp = Fixtures.expected(name);
        LoadOptions opt = LoadOptions.builder().heads(exp.integer("heads")).image(exp.integer("height"), exp.integer("width")).build();
        CrateAlpha model = AlphaWeights.load(ClassifierParityTest.fixture(name + ".pth"), opt);
        AlphaConfig c = model.config();
        assertEquals(exp.integer("dim"), c.dim());
        assertEquals(exp.integer("depth"), c.depth());
        assertEquals(exp.integer("head_dim"), c.headDim());
        assertEquals(exp.integer("patch"), c.patchSize());
        assertEquals(exp.integer("channels"), c.channels());
        assertEquals(exp.integer("classes"), c.numClasses());
        assertEquals(exp.integer("overcomplete"), c.overcomplete());
        assertEquals(exp.integer("heads") != 1 || exp.integer("head_dim") != exp.integer("dim"), c.projectsOut());
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor images = Fixtures.tensor(exp.get("images"));
            List<AlphaLayerTrace> trace = model.trace(images);
            assertEquals(c.depth(), trace.size());
            Tensor features = trace.get(trace.size() - 1).output();
            assertClose(name + " features", exp.get("features"), features);
            assertClose(name + " logits", exp.get("logits"), model.forwardHead(features));
            assertClose(name + " logits (fused attention)", exp.get("logits"), model.forward(images));
            for (int i = 0; i < trace.size(); i++) {
                AlphaLayerTrace t = trace.get(i);
                String l = name + " layer " + i + " ";
                assertClose(l + "input", exp.get("layer" + i + ".input"), t.input());
                assertClose(l + "U", exp.get("layer" + i + ".subspaces"), t.subspaces());
                assertClose(l + "A", exp.get("layer" + i + ".attention"), t.attention());
                assertClose(l + "Zh", exp.get("layer" + i + ".compressed"), t.compressed());
                assertClose(l + "z1", exp.get("layer" + i + ".first_step"), t.firstStep());
                assertClose(l + "z2", exp.get("layer" + i + ".code"), t.code());
                assertClose(l + "output", exp.get("layer" + i + ".output"), t.output());
            }
            // ReLU codes: a real share of exact zeros, not all and not none
            double zeros = zeroFraction(trace.get(0).code());
            assertTrue(zeros > 0.1 && zeros < 0.9, "layer 0 code zero fraction " + zeros);
        }
    }

    private static double zeroFraction(Tensor code) {
        return code.eq(new Scalar(0.0)).to(torch.ScalarType.Double).mean().item_double();
    }
}
