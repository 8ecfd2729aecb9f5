package org.crate4j.checkpoint;

import static org.crate4j.checkpoint.CheckpointSafetyTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class RawTensorTest {

    @Test
    void halfPrecisionDecodesNormalsSubnormalsAndSpecials() {
        assertEquals(1f, RawTensor.halfToFloat((short) 0x3C00));
        assertEquals(-2f, RawTensor.halfToFloat((short) 0xC000));
        assertEquals(65504f, RawTensor.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, RawTensor.halfToFloat((short) 0x0001));
        assertEquals(0x1p-14f, RawTensor.halfToFloat((short) 0x0400));
        assertEquals(Float.POSITIVE_INFINITY, RawTensor.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, RawTensor.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(RawTensor.halfToFloat((short) 0x7E00)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(RawTensor.halfToFloat((short) 0x8000)));
    }

    @Test
    void toFloatsConvertsIntegerBoolAndBfloat16() {
        ByteBuffer i64 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-3).putLong(1L << 40);
        assertArrayEquals(new float[] {-3f, 0x1p40f}, new RawTensor(DType.I64, new long[] {2}, i64.array()).toFloats());
        assertArrayEquals(new float[] {0f, 255f}, new RawTensor(DType.U8, new long[] {2}, new byte[] {0, -1}).toFloats());
        assertArrayEquals(new float[] {-1f}, new RawTensor(DType.I8, new long[] {1}, new byte[] {-1}).toFloats());
        // bfloat16 is the top half of a float32: 0x3FC0 is 1.5
        assertArrayEquals(new float[] {1.5f}, new RawTensor(DType.BF16, new long[0], new byte[] {(byte) 0xC0, 0x3F}).toFloats());
    }

    @Test
    void ofFloatsAndConstructorCheckSizes() {
        RawTensor t = RawTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals(6, t.numel());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.toFloats());
        assertEquals(1, RawTensor.ofFloats(new float[] {9}).numel(), "no shape means a scalar");
        assertMessage("6 values do not fill shape [4]", () -> RawTensor.ofFloats(new float[6], 4));
        assertMessage("tensor of F16 [3] needs 6 bytes but was given 4", () -> new RawTensor(DType.F16, new long[] {3}, new byte[4]));
        assertMessage("negative dimension", () -> new RawTensor(DType.F32, new long[] {-1}, new byte[0]));
    }

    @Test
    void safetensorsDtypeNamesRoundTrip() {
        for (DType d : DType.values()) {
            assertEquals(d, DType.fromSafetensors(d.safetensorsName()));
        }
        assertEquals(2, DType.BF16.byteSize());
        assertMessage("safetensors dtype 'U16' is not supported", () -> DType.fromSafetensors("U16"));
    }
}
