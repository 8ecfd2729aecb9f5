package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;

class SparsityTest {
    @Test
    void countsExactZerosPerImageOverTokensAndDims() {
        float[] z = {
            0f, 1f, 2f, /* token 2 */ -0f, 3f, 1e-30f,   // image 0: 2 of 6 zero (−0 is zero, 1e-30 is not)
            0f, 0f, 0f, /* token 2 */ 0f, 0f, 0f,         // image 1: all zero
            5f, 5f, 5f, /* token 2 */ 5f, 0f, 5f };       // image 2: 1 of 6
        var t = Torch.fromFloats(z, 3, 2, 3);
        assertArrayEquals(new double[] {2 / 6.0, 1.0, 1 / 6.0}, Sparsity.zeroFraction(t), 1e-15);
        assertArrayEquals(new double[] {4 / 6.0, 0.0, 5 / 6.0}, Sparsity.nonZeroFraction(t), 1e-15);
        MeanStd m = Sparsity.measureNonZeros(t);
        assertEquals((4 / 6.0 + 5 / 6.0) / 3, m.mean(), 1e-15);
        assertEquals(3, m.count());
    }
}
