package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The paper's MSSA as an option of the classifier: its layout, its storage and its gradient. Its
 * numbers against PyTorch are in {@link ClassifierParityTest} (crate_tied, crate_tied_one_head).
 */
class TiedMssaTest {
    static final CrateConfig FREE = CrateConfig.of(8, 4, 1, 3, 12, 2, 3);
    static final CrateConfig TIED = FREE.withMssa(MssaOutput.TIED);

    @TempDir
    Path tmp;

    @Test
    void tiedLayersHaveAScaleInPlaceOfTheFreeProjection() {
        Map<String, long[]> s = TIED.parameterShapes();
        assertArrayEquals(new long[] {1}, s.get("transformer.layers.1.0.fn.scale"));
        assertFalse(s.containsKey("transformer.layers.0.0.fn.to_out.0.weight"));
        assertTrue(FREE.parameterShapes().containsKey("transformer.layers.0.0.fn.to_out.0.weight"));
        // each layer trades to_out (12×12 weight + 12 bias) for one scalar
        assertEquals(FREE.parameterCount() - 2 * (12 * 12 + 12) + 2, TIED.parameterCount());
        assertEquals(ParameterKind.LAYER_SCALE, TIED.parameterSpecs().stream()
                .filter(p -> p.name().endsWith(".scale")).findFirst().orElseThrow().kind());
        assertEquals(Mssa.Projection.TIED, CrateConfig.of(8, 4, 1, 3, 12, 2, 1).withMssa(MssaOutput.TIED).mssaProjection(),
                "one full-width head still returns through U when tied");
        assertEquals(Mssa.Projection.NONE, CrateConfig.of(8, 4, 1, 3, 12, 2, 1).mssaProjection());
    }

    @Test
    void tiedModelsRoundTripThroughSafetensorsAndOldConfigsReadAsFree() {
        Torch.seed(3);
        Crate model = Crate.create(TIED);
        Path file = tmp.resolve("tied.safetensors");
        CrateWeights.save(model, file, Map.of());
        Crate loaded = CrateWeights.load(file, CrateWeights.Options.defaults());
        assertEquals(TIED, loaded.config());
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = Torch.rand(Device.CPU, 2, 1, 8, 8);
            assertArrayEquals(Torch.toFloats(model.forward(x)), Torch.toFloats(loaded.forward(x)), 0f);
        }
        String tiedJson = ConfigJson.toJson(TIED);
        assertTrue(tiedJson.contains("\"mssa\":\"TIED\""), tiedJson);
        String old = ConfigJson.toJson(FREE); // the free form writes no field: files stay as they were before the option
        assertFalse(old.contains("mssa"), old);
        assertEquals(MssaOutput.FREE, ConfigJson.fromJson(old).mssa(), "a config written before the option existed");
    }

    @Test
    void theGradientReachesTheSubspacesThroughBothTheirUsesAndTheScale() {
        Torch.seed(4);
        Crate model = Crate.create(TIED).train(true);
        try (PointerScope scope = new PointerScope()) {
            Tensor x = Torch.rand(Device.CPU, 2, 1, 8, 8);
            model.forward(x).pow(new Scalar(2.0)).sum().backward();
            for (String name : new String[] {"transformer.layers.0.0.fn.scale", "transformer.layers.1.0.fn.qkv.weight"}) {
                Tensor grad = model.parameters().get(name).grad();
                assertTrue(grad.defined() && grad.abs().sum().item_double() > 0, name + " has a gradient");
            }
        }
    }

    @Test
    void theTiedOutputIsTheSumOverHeadsOfEachBasisTimesItsAttendedCoordinates() {
        Torch.seed(5);
        Crate model = Crate.create(TIED);
        Mssa mssa = model.mssa(0);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = Torch.rand(Device.CPU, 2, 5, 12);
            Mssa.Output o = mssa.apply(x, false, true);
            // Σ_k U_k · SSA(x | U_k), head by head, U_k = (rows of head k of qkv.weight)ᵀ (12 × 4)
            Tensor w = mssa.subspaceBases();
            Tensor sum = null;
            for (int k = 0; k < 3; k++) {
                Tensor uk = w.narrow(0, 4L * k, 4).t();
                Tensor ssa = torch.matmul(o.attention().select(1, k), o.subspaces().select(1, k));
                Tensor term = torch.matmul(ssa, uk.t());
                sum = sum == null ? term : sum.add(term);
            }
            sum = sum.mul(model.parameters().get("transformer.layers.0.0.fn.scale"));
            float[] expected = Torch.toFloats(sum), actual = Torch.toFloats(o.out());
            assertArrayEquals(expected, actual, 1e-5f);
            assertArrayEquals(actual, Torch.toFloats(mssa.apply(x, false, false).out()), 1e-5f, "the fused kernel computes the same");
        }
    }
}
