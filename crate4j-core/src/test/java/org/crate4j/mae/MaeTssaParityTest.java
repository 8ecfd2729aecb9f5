package org.crate4j.mae;

import static org.crate4j.mae.MaeParityTest.assertClose;
import static org.crate4j.mae.MaeParityTest.config;
import static org.crate4j.mae.MaeParityTest.expected;
import static org.crate4j.mae.MaeParityTest.fixture;
import static org.crate4j.mae.MaeParityTest.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Torch;
import org.crate4j.model.Attention;
import org.crate4j.model.LayerTrace;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CRATE-MAE with ToST's TSSA in every encoder and decoder layer against PyTorch
 * (tools/fixtures/make_mae_fixtures.py, case mae_tssa: width 20 in 5 heads, decoder 2 heads, 25
 * patches of 3 pixels, temperatures away from 1): same weights, images and masking noise.
 */
class MaeTssaParityTest {
    private static final String CASE = "mae_tssa";

    @BeforeAll
    static void natives() {
        Torch.init();
    }

    /** Only λ is passed: attention and both head counts must come off the file's temperatures. */
    private static CrateMae load() {
        return MaeWeights.load(fixture(CASE + ".pth"), MaeWeights.Options.defaults().withLambda(config(CASE).get("lambda").getAsDouble()));
    }

    @Test
    void temperaturesInTheStateDictMakeItTssaAndGiveTheHeads() {
        JsonObject cfg = config(CASE);
        MaeConfig c = load().config();
        assertEquals(Attention.TSSA, c.attention());
        assertEquals(cfg.get("heads").getAsInt(), c.encoderHeads(), "encoder heads from blocks.0.*.temp (h, 1)");
        assertEquals(cfg.get("decoder_heads").getAsInt(), c.decoderHeads(), "decoder heads from decoder_blocks.0.*.temp");
    }

    /** MaeParityTest compares mask, latent, prediction and loss; here every encoder layer's intermediates. */
    @Test
    void matchesPyTorchOnEveryEncoderLayer() {
        CrateMae model = load();
        Map<String, RawTensor> want = expected(CASE);
        List<LayerTrace> trace = new ArrayList<>();
        model.forwardEncoder(tensor(want.get("images")), tensor(want.get("noise")), trace);
        assertEquals(model.config().encoderDepth(), trace.size());
        for (int i = 0; i < trace.size(); i++) {
            LayerTrace t = trace.get(i);
            assertClose(want.get("layer" + i + ".subspaces"), t.subspaces(), "layer " + i + " w");
            assertClose(want.get("layer" + i + ".attention"), t.attention(), "layer " + i + " token weights of Π");
            assertClose(want.get("layer" + i + ".compressed"), t.compressed(), "layer " + i + " Zh");
            assertClose(want.get("layer" + i + ".sparse"), t.sparse(), "layer " + i + " ISTA output");
        }
    }

    @Test
    void gradientOfTheLossMatchesPyTorchForEveryTrainedTensor() {
        CrateMae model = load();
        Map<String, RawTensor> want = expected(CASE);
        model.forward(tensor(want.get("images")), tensor(want.get("noise"))).loss().backward();
        int compared = 0;
        for (Map.Entry<String, Tensor> e : model.parameters().asMap().entrySet()) {
            RawTensor g = want.get("grad." + e.getKey());
            Tensor grad = e.getValue().grad();
            if (e.getKey().startsWith("decoder_embed.")) {
                assertTrue(g == null && (grad == null || !grad.defined()), "decoder_embed is never applied");
                continue;
            }
            assertClose(g, grad, "d loss / d " + e.getKey());
            compared++;
        }
        assertEquals(model.parameters().names().size() - 2, compared, "every trained tensor but decoder_embed's two");
        float[] temp = want.get("grad.blocks.0.layers.0.0.fn.temp").toFloats();
        assertTrue(Math.abs(temp[0]) + Math.abs(temp[1]) > 1e-4, "the temperatures get a gradient worth comparing");
    }

    @Test
    void savedFileReloadsAsTheSameTssaModel(@TempDir Path tmp) {
        CrateMae model = load();
        Path file = tmp.resolve("tssa.safetensors");
        MaeWeights.save(model, file, Map.of());
        assertTrue(WeightsFile.read(file).metadata().get("config").contains("\"attention\":\"TSSA\""));
        CrateMae back = MaeWeights.load(file, MaeWeights.Options.defaults());
        assertEquals(model.config(), back.config());
        Map<String, RawTensor> want = expected(CASE);
        CrateMae.Output out = back.forward(tensor(want.get("images")), tensor(want.get("noise")));
        assertClose(want.get("loss"), out.loss().reshape(1), "reloaded loss");
    }

    @Test
    void configThatSaysMssaBesideTssaTensorsIsRefusedInOneLine(@TempDir Path tmp) {
        CrateMae model = load();
        Path file = tmp.resolve("lying.safetensors");
        MaeWeights.save(model, file, Map.of("config", MaeWeights.configToJson(model.config().withAttention(Attention.MSSA))));
        CrateException e = assertThrows(CrateException.class,
                () -> MaeWeights.load(file, MaeWeights.Options.defaults()));
        assertTrue(e.getMessage().contains("config says mssa but its tensors are tssa's"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void encoderAndDecoderOfDifferentStepsAreRefused() {
        Map<String, long[]> shapes = MaePresets.get("crate-mae-fmnist").withAttention(Attention.TSSA).parameterShapes();
        shapes.keySet().removeIf(k -> k.startsWith("decoder_blocks.") && k.endsWith(".temp"));
        CrateException e = assertThrows(CrateException.class,
                () -> MaeWeights.infer("mixed.pth", shapes, Map.of(), MaeWeights.Options.defaults()));
        assertTrue(e.getMessage().contains("encoder compresses with TSSA and the decoder with MSSA"), e.getMessage());
    }
}
