package org.crate4j.mae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.engine.Torch;
import org.crate4j.model.LayerTrace;
import org.crate4j.model.Layers;
import org.junit.jupiter.api.Test;

/** The unmasked trace the analysis commands read is the MAE encoder's own computation with nothing masked. */
class MaeTraceTest {
    /** 3×3 patches of 4 pixels, RGB, width 16, 3 layers of 2 heads. */
    static final MaeConfig CONFIG = new MaeConfig(12, 4, 3, 16, 3, 2, 16, 1, 2, 0.1, 0.5, 0.75, false);

    /**
     * A random model whose {@code pos_embed} differs from {@code decoder_pos_embed} and whose mask
     * token, class token and final norm are not their initial values, so that a trace using the
     * wrong table, mask tokens or no class token cannot pass.
     */
    static Map<String, Tensor> distinctiveWeights(MaeConfig config) {
        Torch.seed(5);
        Map<String, Tensor> w = new LinkedHashMap<>(CrateMae.create(config).stateDict());
        for (String k : new String[] {"pos_embed", "mask_token", "cls_token", "norm.weight", "norm.bias"}) {
            w.put(k, torch.randn(Torch.shape(w.get(k))));
        }
        return w;
    }

    @Test
    void lastLayerOfTheTraceIsTheEncoderOutputAtMaskRatioZero() {
        Map<String, Tensor> w = distinctiveWeights(CONFIG);
        CrateMae traced = CrateMae.fromTensors(CONFIG, w);
        CrateMae unmasked = CrateMae.fromTensors(CONFIG.withMaskRatio(0.0), w);
        assertEquals(CONFIG.numPatches(), unmasked.config().keptPatches(), "ratio 0 keeps every patch");
        Tensor images = torch.randn(2, 3, 12, 12);
        Tensor noise = torch.rand(2, CONFIG.numPatches());
        try (NoGradGuard g = new NoGradGuard()) {
            List<LayerTrace> trace = TracedEncoder.of(traced).trace(images);
            assertEquals(3, trace.size());
            LayerTrace last = trace.get(2);
            assertArrayEquals(new long[] {2, 10, 16}, Torch.shape(last.sparse()), "class token + 9 patches");
            assertArrayEquals(new long[] {2, 2, 10, 10}, Torch.shape(last.attention()));
            // without a trace and without a gradient the encoder runs libtorch's fused attention: another kernel
            Tensor latent = unmasked.forwardEncoder(images, noise).latent();
            Tensor normed = Layers.layerNorm(last.sparse(), w.get("norm.weight"), w.get("norm.bias"), 1e-6);
            assertClose(latent, normed, 1e-5, "norm(last ISTA output) vs encoder output");

            List<LayerTrace> maskedPath = new ArrayList<>();
            unmasked.forwardEncoder(images, noise, maskedPath);
            for (int l = 0; l < 3; l++) {
                assertClose(maskedPath.get(l).input(), trace.get(l).input(), 1e-6, "layer " + l + " Z");
                assertClose(maskedPath.get(l).subspaces(), trace.get(l).subspaces(), 1e-6, "layer " + l + " U");
                assertClose(maskedPath.get(l).attention(), trace.get(l).attention(), 1e-6, "layer " + l + " A");
                assertClose(maskedPath.get(l).compressed(), trace.get(l).compressed(), 1e-6, "layer " + l + " Zh");
                assertClose(maskedPath.get(l).sparse(), trace.get(l).sparse(), 1e-6, "layer " + l + " ISTA");
            }
            // the comparison can tell: with three quarters of the patches masked the output moves
            Tensor masked = traced.forwardEncoder(images, noise).latent();
            assertTrue(maxDiff(masked, latent) > 1e-2, "masking changes the encoder output");
        }
    }

    static void assertClose(Tensor want, Tensor got, double tol, String what) {
        assertArrayEquals(Torch.shape(want), Torch.shape(got), what + " shape");
        double d = maxDiff(want, got);
        assertTrue(d <= tol, what + ": max |diff| " + d);
    }

    static double maxDiff(Tensor a, Tensor b) {
        float[] x = Torch.toFloats(a), y = Torch.toFloats(b);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            worst = Math.max(worst, Math.abs(x[i] - y[i]));
        }
        return worst;
    }
}
