package org.crate4j.mae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Torch;
import org.crate4j.model.CrateWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaeWeightsTest {
    private static final MaeWeights.Options PLAIN = MaeWeights.Options.defaults().withHeads(4, 4);

    @TempDir
    Path tmp;

    @BeforeAll
    static void natives() {
        Torch.init();
    }

    static Path fixture(String name) {
        try {
            return Path.of(MaeWeightsTest.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing fixture " + name, e);
        }
    }

    @Test
    void classifierCheckpointGivenToMaeLoaderSaysWhichKindItIs() {
        CrateException e = assertThrows(CrateException.class,
                () -> MaeWeights.load(fixture("crate_main_module.pth"), PLAIN));
        assertTrue(e.getMessage().contains("is a CRATE classifier checkpoint"), e.getMessage());
        assertTrue(e.getMessage().contains("not a CRATE-MAE one"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void maeCheckpointGivenToClassifierLoaderSaysWhichKindItIs() {
        CrateException e = assertThrows(CrateException.class,
                () -> CrateWeights.load(fixture("mae_plain.pth"), CrateWeights.Options.defaults()));
        assertTrue(e.getMessage().contains("is a CRATE-MAE checkpoint"), e.getMessage());
        assertTrue(e.getMessage().contains("not a CRATE classifier one"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void ourMaeSafetensorsGivenToClassifierLoaderFailsTheSameWay() {
        Path out = tmp.resolve("mae.safetensors");
        MaeWeights.save(MaeWeights.load(fixture("mae_plain.pth"), PLAIN), out, Map.of());
        CrateException e = assertThrows(CrateException.class, () -> CrateWeights.load(out, CrateWeights.Options.defaults()));
        assertTrue(e.getMessage().contains("is a CRATE-MAE checkpoint"), e.getMessage());
    }

    @Test
    void headsMustComeFromSomewhereWhenNoPresetMatches() {
        CrateException e = assertThrows(CrateException.class,
                () -> MaeWeights.load(fixture("mae_plain.pth"), MaeWeights.Options.defaults()));
        assertTrue(e.getMessage().contains("pass --heads"), e.getMessage());
    }

    @Test
    void savesAndReloadsWithConfigInMetadata() {
        CrateMae m = MaeWeights.load(fixture("mae_plain.pth"), PLAIN);
        Path out = tmp.resolve("roundtrip.safetensors");
        MaeWeights.save(m, out, Map.of("source", "mae_plain.pth"));
        Safetensors.Contents c = Safetensors.read(out);
        assertEquals(MaeWeights.FORMAT, c.metadata().get("format"));
        assertEquals(m.config().parameterShapes().keySet(), c.tensors().keySet(), "tables saved too");

        CrateMae back = MaeWeights.load(out, MaeWeights.Options.defaults());   // no heads needed
        assertEquals(m.config(), back.config());
        Tensor images = Torch.fromFloats(new float[2 * 3 * 16 * 16], 2, 3, 16, 16).uniform_();
        Tensor noise = Torch.fromFloats(new float[2 * 16], 2, 16).uniform_();
        assertEquals(m.forward(images, noise).loss().item_double(), back.forward(images, noise).loss().item_double(), 0.0);
    }

    @Test
    void encoderOnlyFilesLoadWhenAskedAndFailStrictlyOtherwise() {
        CrateMae full = MaeWeights.load(fixture("mae_plain.pth"), PLAIN);
        Map<String, RawTensor> encoder = new LinkedHashMap<>();
        full.stateDict().forEach((k, t) -> {
            if (!k.startsWith("decoder_") && !k.equals("mask_token")) {
                encoder.put(k, RawTensor.ofFloats(Torch.toFloats(t), Torch.shape(t)));
            }
        });
        Path out = tmp.resolve("encoder.pth.safetensors");
        Safetensors.write(out, encoder, Map.of());

        CrateException e = assertThrows(CrateException.class, () -> MaeWeights.load(out, PLAIN));
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("decoder_"), e.getMessage());
        assertTrue(e.getMessage().contains("--encoder-only"), e.getMessage());

        CrateMae enc = MaeWeights.load(out, PLAIN.withEncoderOnly(true));
        assertEquals(full.config(), enc.config());
        Tensor images = Torch.fromFloats(new float[3 * 16 * 16], 1, 3, 16, 16).uniform_();
        float[] a = Torch.toFloats(full.encodeFeatures(images));
        float[] b = Torch.toFloats(enc.encodeFeatures(images));
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 0.0, "feature " + i);
        }
    }

    @Test
    void encoderOnlyStillRefusesMisShapedEncoderTensors() {
        CrateMae full = MaeWeights.load(fixture("mae_plain.pth"), PLAIN);
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        full.stateDict().forEach((k, t) -> tensors.put(k, RawTensor.ofFloats(Torch.toFloats(t), Torch.shape(t))));
        tensors.put("norm.weight", RawTensor.ofFloats(new float[16], 16));
        Path out = tmp.resolve("bad.safetensors");
        Safetensors.write(out, tensors, Map.of());
        CrateException e = assertThrows(CrateException.class, () -> MaeWeights.load(out, PLAIN.withEncoderOnly(true)));
        assertTrue(e.getMessage().contains("norm.weight is (16,)"), e.getMessage());
    }

    @Test
    void basePresetNamedByTrainingArgumentsSuppliesHeads() {
        Map<String, long[]> shapes = MaeConfig.of(224, 16, 3, 768, 12, 12).parameterShapes();
        MaeConfig c = MaeWeights.infer("x.pth", shapes, Map.of("model", "mae_crate_base", "norm_pix_loss", true),
                MaeWeights.Options.defaults());
        assertEquals(12, c.encoderHeads());
        assertEquals(12, c.decoderHeads());
        assertTrue(c.normPixLoss());
        assertEquals(44_335_872L, c.parameterCount());
    }
}
