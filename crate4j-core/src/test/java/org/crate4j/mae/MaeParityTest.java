package org.crate4j.mae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Torch;
import org.crate4j.model.LayerTrace;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CRATE-MAE against an independent PyTorch implementation of docs/architecture.md §2
 * (tools/fixtures/make_mae_fixtures.py): same weights, images and masking noise; mae_tssa
 * compresses with TSSA instead of MSSA (more of it in {@link MaeTssaParityTest}). 1e-4 absolute
 * is fp32 rounding through a few layers, with the ISTA step fused on our side and not on theirs.
 */
class MaeParityTest {
    private static final double TOL = 1e-4;

    @BeforeAll
    static void natives() {
        Torch.init();
    }

    static Path fixture(String name) {
        try {
            return Path.of(MaeParityTest.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing fixture " + name + ": run tools/fixtures/make_mae_fixtures.py", e);
        }
    }

    /** Loads the case's checkpoint with the heads and λ its Python config used (neither is in the shapes). */
    static CrateMae load(String name) {
        JsonObject cfg = config(name);
        return MaeWeights.load(fixture(name + ".pth"), MaeWeights.Options.defaults()
                .withHeads(cfg.get("heads").getAsInt(), cfg.get("decoder_heads").getAsInt())
                .withLambda(cfg.get("lambda").getAsDouble()));
    }

    static JsonObject config(String name) {
        return JsonParser.parseString(Safetensors.read(fixture(name + ".expected.safetensors")).metadata().get("config"))
                .getAsJsonObject();
    }

    static Map<String, RawTensor> expected(String name) {
        return Safetensors.read(fixture(name + ".expected.safetensors")).tensors();
    }

    static Tensor tensor(RawTensor raw) {
        return Torch.fromFloats(raw.toFloats(), raw.shape());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mae_plain", "mae_normpix", "mae_tssa"})
    void readsTheArchitectureOffShapesAndTrainingArguments(String name) {
        JsonObject cfg = config(name);
        MaeConfig c = load(name).config();
        assertEquals(cfg.get("image").getAsInt(), c.imageSize());
        assertEquals(cfg.get("patch").getAsInt(), c.patchSize());
        assertEquals(cfg.get("channels").getAsInt(), c.channels());
        assertEquals(cfg.get("dim").getAsInt(), c.encoderDim());
        assertEquals(cfg.get("depth").getAsInt(), c.encoderDepth());
        assertEquals(cfg.get("decoder_depth").getAsInt(), c.decoderDepth());
        assertEquals(cfg.get("mask_ratio").getAsDouble(), c.maskRatio());
        assertEquals(cfg.get("norm_pix_loss").getAsBoolean(), c.normPixLoss(), "from args.norm_pix_loss");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mae_plain", "mae_normpix", "mae_tssa"})
    void matchesPyTorchOnMaskLatentPredictionAndLoss(String name) {
        CrateMae model = load(name);
        Map<String, RawTensor> want = expected(name);
        Tensor images = tensor(want.get("images"));
        Tensor noise = tensor(want.get("noise"));

        CrateMae.Encoded enc = model.forwardEncoder(images, noise);
        assertArrayEquals(want.get("mask").toFloats(), Torch.toFloats(enc.mask()), "mask");
        assertClose(want.get("latent"), enc.latent(), "latent");
        Tensor pred = model.forwardDecoder(enc.latent());
        assertClose(want.get("pred"), pred, "prediction");
        assertClose(want.get("loss"), model.forwardLoss(images, pred, enc.mask()).reshape(1), "loss");

        CrateMae.Output out = model.forward(images, noise);
        assertClose(want.get("loss"), out.loss().reshape(1), "forward loss");
        assertTrue(out.loss().requires_grad(), "loss reaches the parameters");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mae_plain", "mae_normpix", "mae_tssa"})
    void fusedAttentionWithoutGradientGivesTheSamePrediction(String name) {
        CrateMae model = load(name);
        Map<String, RawTensor> want = expected(name);
        try (NoGradGuard g = new NoGradGuard()) {
            CrateMae.Encoded enc = model.forwardEncoder(tensor(want.get("images")), tensor(want.get("noise")));
            assertClose(want.get("pred"), model.forwardDecoder(enc.latent()), "prediction (no grad)");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mae_plain", "mae_normpix", "mae_tssa"})
    void tracesTheFirstEncoderLayer(String name) {
        CrateMae model = load(name);
        Map<String, RawTensor> want = expected(name);
        List<LayerTrace> trace = new ArrayList<>();
        model.forwardEncoder(tensor(want.get("images")), tensor(want.get("noise")), trace);
        assertEquals(model.config().encoderDepth(), trace.size());
        LayerTrace t = trace.get(0);
        assertClose(want.get("layer0.subspaces"), t.subspaces(), "U");
        assertClose(want.get("layer0.attention"), t.attention(), "A");
        assertClose(want.get("layer0.compressed"), t.compressed(), "Zh");
        assertClose(want.get("layer0.sparse"), t.sparse(), "ISTA output");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mae_plain", "mae_normpix", "mae_tssa"})
    void generatedPositionTableEqualsThePythonOne(String name) {
        CrateMae loaded = load(name);
        CrateMae fresh = CrateMae.create(loaded.config());
        for (String table : MaeConfig.FIXED_TABLES) {
            float[] a = Torch.toFloats(loaded.positionTables().get(table));
            float[] b = Torch.toFloats(fresh.positionTables().get(table));
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-6, table + "[" + i + "]");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mae_plain", "mae_normpix", "mae_tssa"})
    void reconstructionPastesTheVisiblePatches(String name) {
        CrateMae model = load(name);
        Map<String, RawTensor> want = expected(name);
        Tensor images = tensor(want.get("images"));
        CrateMae.Reconstruction r = model.reconstruct(images, tensor(want.get("noise")));
        MaeConfig c = model.config();
        float[] in = Torch.toFloats(images), pasted = Torch.toFloats(r.pasted()), masked = Torch.toFloats(r.masked());
        float[] pred = Torch.toFloats(r.prediction()), mask = Torch.toFloats(r.mask());
        assertArrayEquals(Torch.shape(images), Torch.shape(r.prediction()));
        int g = c.gridSize(), p = c.patchSize(), size = c.imageSize();
        for (int i = 0; i < in.length; i++) {
            int b = i / (c.channels() * size * size), y = (i / size) % size, x = i % size;
            boolean removed = mask[b * g * g + (y / p) * g + x / p] > 0.5f;
            assertEquals(removed ? pred[i] : in[i], pasted[i], "pasted " + i);
            assertEquals(removed ? 0f : in[i], masked[i], "masked " + i);
        }
        if (!c.normPixLoss()) {
            assertClose(want.get("pred"), org.crate4j.model.Layers.patchify(r.prediction(), p),
                    "unpatchified prediction");
        }
    }

    static void assertClose(RawTensor want, Tensor got, String what) {
        assertArrayEquals(want.shape(), Torch.shape(got), what + " shape");
        float[] w = want.toFloats(), g = Torch.toFloats(got);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < w.length; i++) {
            double d = Math.abs(w[i] - g[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= TOL, what + ": max |diff| " + worst + " at " + at + " (want " + (at < 0 ? 0 : w[at])
                + ", got " + (at < 0 ? 0 : g[at]) + ")");
    }
}
