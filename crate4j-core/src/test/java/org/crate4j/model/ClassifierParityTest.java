package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Java logits and every layer's intermediates equal PyTorch's on the same weights. The fixtures
 * come from tools/fixtures/make_classifier_fixtures.py (PyTorch 1.13, textbook three-GEMM ISTA;
 * overlapping patch windows through PyTorch's own im2col, {@code F.unfold}; crate_demo and
 * crate_features in the segmentation notebooks' layout, {@code {'model': state_dict}}, the first
 * with the demo's two-stage head; crate_tied and crate_tied_one_head with the paper's MSSA, whose
 * output projection is [U_1, …, U_K] times a learned scale).
 */
public class ClassifierParityTest {
    static final double TOL = 1e-4;

    public static Path fixture(String name) {
        try {
            return Path.of(ClassifierParityTest.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing fixture " + name, e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"crate_main_module", "crate_mean_nonsquare", "crate_transposed_views", "crate_fp16", "crate_one_head", "crate_window", "crate_code",
            "crate_demo", "crate_features", "crate_tied", "crate_tied_one_head"})
    void matchesPyTorchOnReferenceCheckpoints(String name) {
        Torch.init();
        Safetensors.Contents expected = Safetensors.read(fixture(name + ".expected.safetensors"));
        JsonObject cfg = JsonParser.parseString(expected.metadata().get("config")).getAsJsonObject();
        CrateWeights.Options opt = new CrateWeights.Options(null, cfg.get("heads").getAsInt(), false, 0,
                Pooling.parse(cfg.get("pool").getAsString()))
                .withImage(cfg.get("height").getAsInt(), cfg.get("width").getAsInt(), cfg.get("channels").getAsInt());
        Crate model = CrateWeights.load(fixture(name + ".pth"), opt);
        assertEquals(cfg.get("dim").getAsInt(), model.config().dim());
        assertEquals(cfg.get("depth").getAsInt(), model.config().depth());
        assertEquals(cfg.get("patch").getAsInt(), model.config().patchSize());
        // overlapping windows (crate_window: K = 8 around 4×4 patches) are read off the shapes given the image size
        assertEquals(cfg.has("window") ? cfg.get("window").getAsInt() : cfg.get("patch").getAsInt(), model.config().patchWindow());
        // the window's sparse code (crate_code: 40 atoms) is read off its tensor
        assertEquals(cfg.has("code") ? cfg.get("code").getAsInt() : 0, model.config().patchCode());
        assertEquals(cfg.get("classes").getAsInt(), model.config().numClasses());
        // the segmentation demo's two-stage head (crate_demo: mlp_head 24 → 20, head 20 → 7) is read off head.weight
        assertEquals(cfg.has("head_hidden") ? cfg.get("head_hidden").getAsInt() : 0, model.config().headHidden());
        assertEquals(cfg.get("head_dim").getAsInt(), model.config().headDim());
        // the paper's MSSA (crate_tied*: no to_out, the heads return through Uᵀ times 0.fn.scale) is read off the scale tensor
        assertEquals(cfg.has("mssa") ? MssaOutput.TIED : MssaOutput.FREE, model.config().mssa());
        Map<String, RawTensor> exp = expected.tensors();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor images = tensor(exp.get("images"));
            List<LayerTrace> trace = model.trace(images);
            assertClose(name + " logits", exp.get("logits"), model.forwardHead(trace.get(trace.size() - 1).sparse()));
            assertClose(name + " logits (fast path)", exp.get("logits"), model.forward(images));
            for (int i = 0; i < trace.size(); i++) {
                assertClose(name + " layer " + i + " U", exp.get("layer" + i + ".subspaces"), trace.get(i).subspaces());
                assertClose(name + " layer " + i + " A", exp.get("layer" + i + ".attention"), trace.get(i).attention());
                assertClose(name + " layer " + i + " Zh", exp.get("layer" + i + ".compressed"), trace.get(i).compressed());
                assertClose(name + " layer " + i + " ISTA", exp.get("layer" + i + ".sparse"), trace.get(i).sparse());
            }
        }
    }

    static Tensor tensor(RawTensor raw) {
        return Torch.fromFloats(raw.toFloats(), raw.shape());
    }

    static void assertClose(String what, RawTensor expected, Tensor actual) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(Torch.shape(actual)), what + " shape");
        float[] e = expected.toFloats();
        float[] a = Torch.toFloats(actual);
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(e[i] - a[i]));
        }
        assertTrue(worst <= TOL, what + ": max |diff| " + worst + " > " + TOL);
    }
}
