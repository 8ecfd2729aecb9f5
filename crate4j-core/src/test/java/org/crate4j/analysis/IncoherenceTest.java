package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;

/** The weight-only measures of how far a layer is from the derivation's geometry, on matrices whose answer is known. */
class IncoherenceTest {
    static Tensor matrix(int rows, int cols, double... v) {
        return Torch.doubles(Device.CPU, v, rows, cols).to(torch.ScalarType.Float);
    }

    @Test
    void orthogonalSubspacesHaveCoherenceZeroWhateverTheirBases() {
        Torch.init();
        // qkv.weight = I₈: 2 heads of width 4 spanning {e1..e4} and {e5..e8}
        assertEquals(0, Incoherence.subspaces(Torch.eye(Device.CPU, torch.ScalarType.Float, 8), 2).coherence(), 1e-12);
        // the same subspaces through skewed, scaled bases: only the spans count
        Tensor w = matrix(4, 4,
                3, 1, 0, 0,
                1, -2, 0, 0,
                0, 0, 5, 5,
                0, 0, 0, 0.1);
        assertEquals(0, Incoherence.subspaces(w, 2).coherence(), 1e-12);
    }

    @Test
    void identicalHeadsHaveCoherenceOne() {
        Torch.init();
        Tensor head = matrix(2, 6, 1, 2, 0, -1, 3, 0, 0, 1, 1, 1, -2, 4);
        Tensor w = torch.cat(new TensorVector(head, head.mul(new Scalar(-7.0)),
                matrix(2, 6, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1)), 0);
        Incoherence.Pair p = Incoherence.subspaces(w, 3);
        assertEquals(1, p.coherence(), 1e-9);
        assertEquals(0, p.first());
        assertEquals(1, p.second(), "heads 0 and 1 span the same plane");
    }

    @Test
    void oneDimensionalHeadsAtSixtyDegreesHaveCoherenceOneHalf() {
        Torch.init();
        double c = Math.cos(Math.PI / 3), s = Math.sin(Math.PI / 3);
        assertEquals(0.5, Incoherence.subspaces(matrix(2, 2, 2, 0, -3 * c, -3 * s), 2).coherence(), 1e-7);
        // planes in ℝ⁴ sharing one direction (e2): the smallest principal angle is 0
        assertEquals(1, Incoherence.subspaces(matrix(4, 4, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0), 2).coherence(), 1e-7);
        // two 3-dimensional subspaces of ℝ⁴ (2p > d) must intersect
        Torch.seed(1);
        assertEquals(1, Incoherence.subspaces(Torch.randn(Device.CPU, 6, 4), 2).coherence(), 1e-6);
    }

    @Test
    void oneHeadHasNoPair() {
        Torch.init();
        assertNull(Incoherence.subspaces(Torch.randn(Device.CPU, 4, 4), 1));
    }

    @Test
    void dictionaryCoherenceIsTheRelativeDistanceOfTheGramFromTheIdentity() {
        Torch.init();
        double c = Math.cos(0.3), s = Math.sin(0.3);
        assertEquals(0, Incoherence.dictionary(matrix(2, 2, c, -s, s, c)), 1e-7, "a rotation is orthogonal");
        assertEquals(3, Incoherence.dictionary(Torch.eye(Device.CPU, torch.ScalarType.Float, 5).mul(new Scalar(2.0))),
                1e-7, "‖4I − I‖ / ‖I‖");
        assertEquals(1, Incoherence.dictionary(Torch.zeros(Device.CPU, 3, 3)), 1e-12);
        // overcomplete [I I] (d × 2d): DᵀD − I = [[0 I] [I 0]], of norm √(2d) = ‖I₂d‖
        Tensor eye = Torch.eye(Device.CPU, torch.ScalarType.Float, 3);
        assertEquals(1, Incoherence.dictionary(torch.cat(new TensorVector(eye, eye), 1)), 1e-7);
    }

    @Test
    void aClassifiersLayersAreMeasuredFromItsOwnWeights() {
        Torch.seed(2);
        Crate model = Crate.create(CrateConfig.of(8, 4, 1, 3, 8, 2, 2));
        try (NoGradGuard g = new NoGradGuard()) {
            // layer 0: orthogonal heads and an orthogonal dictionary; layer 1 keeps its random init
            model.parameters().get("transformer.layers.0.0.fn.qkv.weight").copy_(Torch.eye(Device.CPU, torch.ScalarType.Float, 8));
            model.parameters().get("transformer.layers.0.1.fn.weight").copy_(Torch.eye(Device.CPU, torch.ScalarType.Float, 8).neg());
        }
        List<Incoherence.Layer> layers = Incoherence.of(model);
        assertEquals(2, layers.size());
        assertEquals(0, layers.get(0).subspaces(), 1e-12);
        assertEquals(0, layers.get(0).dictionary(), 1e-12);
        Incoherence.Pair random = Incoherence.subspaces(model.mssa(1).subspaceBases(), 2);
        assertEquals(random.coherence(), layers.get(1).subspaces(), 0);
        assertArrayEquals(new int[] {0, 1}, layers.get(1).heads());
        // two random 4-dim subspaces of ℝ⁸ nearly meet (their smallest principal angle is small), but only nearly
        double r = layers.get(1).subspaces();
        assertTrue(r > 0.9 && r < 1 - 1e-4, "random subspaces: " + r);
        // kaiming-uniform D, entries of variance 2/d: the Gram's diagonal is about 2 and its off-diagonal entries have
        // variance about 4/d, so (‖DᵀD − I‖/‖I‖)² is about 1 + 4(d − 1)/d = 4.5 for d = 8: a ratio near 2.1
        double dict = layers.get(1).dictionary();
        assertTrue(dict > 1 && dict < 4, "random dictionary " + dict);
    }
}
