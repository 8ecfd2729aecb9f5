package org.crate4j.tost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ToST logits and every block against PyTorch on the same weights, read by name from the layouts
 * the reference's training script writes (fixtures of tools/fixtures/make_tost_fixtures.py).
 */
public class TostParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"tost_p16_full", "tost_p8_nonsquare", "tost_p16_ragged"})
    void evalForwardMatchesPyTorchBlockByBlock(String name) {
        Torch.init();
        Safetensors.Contents exp = Fixtures.expected(name);
        JsonObject cfg = Fixtures.config(exp);
        Tost model = TostWeights.load(Fixtures.path(name + ".pth"),
                TostWeights.Options.defaults().withTokensNorm(cfg.get("tokens_norm").getAsBoolean()));
        assertArchitecture(cfg, model.config());
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor images = Fixtures.tensor(exp.tensors(), "images");
            TostTrace trace = model.trace(images);
            assertTraceMatches(name, exp.tensors(), trace, model.config());
            assertEquals(model.config().depth(), trace.memberships().size());
            assertEquals(model.config().depth() + model.config().classAttentionLayers(), trace.outputs().size());
            Fixtures.assertClose(name + " logits (forward)", exp.tensors().get("logits"), model.forward(images));
        }
    }

    @Test
    void fullTrainingCheckpointLoadsTheModelNotTheEma() {
        // tost_p16_full holds 'model' and a 'model_ema' whose floats are 0.01 higher: the parity above
        // holds only if 'model' was read; here the configuration read off args.model is checked too
        TostWeights.Source src = TostWeights.read(Fixtures.path("tost_p16_full.pth"));
        assertEquals("tost_cab_tiny_12_p16", src.args().get("model"), "argparse.Namespace read as inert fields");
        Tost model = TostWeights.load(src, TostWeights.Options.defaults());
        assertEquals(224, model.config().imageHeight(), "what shapes cannot tell comes from the preset args.model names");
        assertTrue(model.config().tokensNorm());
    }

    @Test
    void trainForwardUsesBatchStatisticsAndUpdatesRunningOnes() {
        Torch.init();
        String name = "tost_p16_train";
        Safetensors.Contents exp = Fixtures.expected(name);
        Tost model = TostWeights.load(Fixtures.path(name + ".pth"), TostWeights.Options.defaults());
        assertArchitecture(Fixtures.config(exp), model.config());
        model.train(true);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            TostTrace trace = model.trace(Fixtures.tensor(exp.tensors(), "images"));
            assertTraceMatches(name + " (train)", exp.tensors(), trace, model.config());
        }
        int stats = 0;
        for (Map.Entry<String, Tensor> e : model.statistics().entrySet()) {
            RawTensor want = exp.tensors().get("updated." + e.getKey());
            if (e.getKey().endsWith("num_batches_tracked")) {
                assertEquals((long) want.toFloats()[0], e.getValue().item_long(), e.getKey());
                assertEquals(torch_long(), e.getValue().scalar_type().value, e.getKey() + " stays int64");
            } else {
                Fixtures.assertClose(e.getKey() + " after one training forward", want, e.getValue());
            }
            stats++;
        }
        assertEquals(4 * 3, stats, "four stem BatchNorms: running mean, variance and count each");
    }

    @Test
    void evalForwardLeavesRunningStatisticsAlone() {
        Torch.init();
        Safetensors.Contents exp = Fixtures.expected("tost_p16_train");
        Tost model = TostWeights.load(Fixtures.path("tost_p16_train.pth"), TostWeights.Options.defaults());
        float[] before = Torch.toFloats(model.statistics().get("patch_embed.proj.0.1.running_var"));
        long count = model.statistics().get("patch_embed.proj.0.1.num_batches_tracked").item_long();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            model.forward(Fixtures.tensor(exp.tensors(), "images"));
        }
        assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(Torch.toFloats(model.statistics().get("patch_embed.proj.0.1.running_var"))));
        assertEquals(count, model.statistics().get("patch_embed.proj.0.1.num_batches_tracked").item_long());
        assertEquals(1000, count, "the fixture's count");
    }

    private static int torch_long() {
        return org.bytedeco.pytorch.global.torch.ScalarType.Long.value;
    }

    static void assertArchitecture(JsonObject cfg, TostConfig c) {
        assertEquals(cfg.get("dim").getAsInt(), c.dim());
        assertEquals(cfg.get("depth").getAsInt(), c.depth());
        assertEquals(cfg.get("heads").getAsInt(), c.heads());
        assertEquals(cfg.get("patch").getAsInt(), c.patchSize());
        assertEquals(cfg.get("classes").getAsInt(), c.numClasses());
        assertEquals(cfg.get("qkv_bias").getAsBoolean(), c.qkvBias());
        assertEquals(cfg.get("tokens_norm").getAsBoolean(), c.tokensNorm());
        double ratio = cfg.has("mlp_ratio") ? cfg.get("mlp_ratio").getAsDouble() : 4;
        assertEquals((int) (cfg.get("dim").getAsInt() * ratio), c.mlpHidden());
    }

    static void assertTraceMatches(String name, Map<String, RawTensor> exp, TostTrace trace, TostConfig c) {
        Fixtures.assertClose(name + " embedded", exp.get("embedded"), trace.embedded());
        assertEquals(c.depth(), trace.blocks().size());
        for (int i = 0; i < c.depth(); i++) {
            TostTrace.Block b = trace.blocks().get(i);
            Fixtures.assertClose(name + " block " + i + " w", exp.get("block" + i + ".projections"), b.projections());
            Fixtures.assertClose(name + " block " + i + " Π", exp.get("block" + i + ".pi"), b.pi());
            Fixtures.assertClose(name + " block " + i + " after TSSA", exp.get("block" + i + ".compressed"), b.compressed());
            Fixtures.assertClose(name + " block " + i + " output", exp.get("block" + i + ".output"), b.output());
        }
        assertEquals(c.classAttentionLayers(), trace.classAttention().size());
        for (int j = 0; j < c.classAttentionLayers(); j++) {
            TostTrace.ClassAttention a = trace.classAttention().get(j);
            Fixtures.assertClose(name + " class attention " + j + " weights", exp.get("cab" + j + ".attention"), a.attention());
            Fixtures.assertClose(name + " class attention " + j + " output", exp.get("cab" + j + ".output"), a.output());
        }
        Fixtures.assertClose(name + " features", exp.get("features"), trace.features());
        Fixtures.assertClose(name + " logits", exp.get("logits"), trace.logits());
    }
}
