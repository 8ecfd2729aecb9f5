package org.crate4j.tost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Torch;
import org.crate4j.model.ParameterKind;
import org.crate4j.train.AdamW;
import org.crate4j.train.Losses;
import org.junit.jupiter.api.Test;

/** What a trainer needs from the model: gradients everywhere, a loss that falls, dropout only when asked. */
public class TostTrainingTest {
    private static final TostConfig SMALL = TostConfig.builder().imageSize(32).dim(16).depth(2).heads(2).classes(4)
            .mlpRatio(2).build();

    @Test
    void trainingForwardSendsGradientToEveryTrainableParameter() {
        Torch.seed(0);
        Tost model = Tost.create(SMALL).train(true);
        try (PointerScope scope = new PointerScope()) {
            Tensor loss = Losses.crossEntropy(model.forward(torch.rand(4, 3, 32, 32)), labels(4), 0);
            loss.backward();
            for (Map.Entry<String, Tensor> e : model.parameters().asMap().entrySet()) {
                Tensor grad = e.getValue().grad();
                assertTrue(grad != null && grad.defined() && grad.abs().sum().item_double() > 0, e.getKey() + " has no gradient");
            }
            for (String k : model.statistics().keySet()) {
                assertTrue(!model.parameters().has(k), k + " is state, not a parameter");
            }
        }
    }

    @Test
    void aFewAdamWStepsLowerTheLossOnAFixedBatch() {
        Torch.seed(1);
        Tost model = Tost.create(SMALL).train(true);
        Map<String, Tensor> params = model.parameters().asMap();
        AdamW opt = new AdamW(params, 0.0, 0.9, 0.999, 1e-8);
        Tensor images = torch.rand(8, 3, 32, 32);
        Tensor y = labels(8);
        images.retainReference();
        y.retainReference();
        double first = 0, last = 0;
        for (int step = 0; step < 15; step++) {
            try (PointerScope scope = new PointerScope()) {
                opt.zeroGrad();
                Tensor loss = Losses.crossEntropy(model.forward(images), y, 0);
                loss.backward();
                opt.step(3e-3);
                last = loss.item_double();
                first = step == 0 ? last : first;
            }
        }
        assertTrue(last < 0.75 * first, "loss " + first + " → " + last);
        assertEquals(15L, model.statistics().get("patch_embed.proj.0.1.num_batches_tracked").item_long());
    }

    @Test
    void dropoutAndDropPathActOnlyWhenTheirRatesAreSet() {
        Torch.seed(2);
        Tensor images = torch.rand(4, 3, 32, 32);
        Map<String, Tensor> weights = new LinkedHashMap<>(Tost.create(SMALL).stateDict());
        Tost plain = Tost.fromTensors(SMALL, weights).train(true);
        Tost dropping = Tost.fromTensors(SMALL.with(b -> b.dropPath(0.5).dropout(0.2)), weights).train(true);
        try (PointerScope scope = new PointerScope(); org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            Torch.seed(10);
            Tensor a = plain.forward(images);
            Torch.seed(11);
            assertEquals(0.0, Fixtures.maxDiff(a, plain.forward(images)), "rates 0: training forwards are deterministic");
            Torch.seed(10);
            Tensor b = dropping.forward(images);
            Torch.seed(11);
            assertTrue(Fixtures.maxDiff(b, dropping.forward(images)) > 1e-4, "drop-path and dropout draw per forward");
            dropping.train(false);
            plain.train(false);
            assertEquals(0.0, Fixtures.maxDiff(plain.forward(images), dropping.forward(images)), "evaluation never drops");
        }
    }

    @Test
    void kindsExemptTemperatureNormsBiasesAndLayerScalesFromDecay() {
        Tost model = Tost.create(SMALL);
        long decayed = model.kinds().entrySet().stream().filter(e -> e.getValue().decays()).count();
        long matrices = model.parameters().asMap().entrySet().stream()
                .filter(e -> e.getValue().dim() >= 2 && model.kinds().get(e.getKey()) == ParameterKind.WEIGHT).count();
        assertEquals(matrices, decayed);
        assertTrue(!model.kinds().get("blocks.1.attn.temp").decays(), "temp is (h, 1), yet exempt");
        assertTrue(!model.kinds().get("cls_token").decays());
    }

    private static Tensor labels(int n) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % 4;
        }
        return Tensor.create(v, n);
    }
}
