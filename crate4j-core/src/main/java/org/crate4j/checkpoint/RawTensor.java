package org.crate4j.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.crate4j.CrateException;

/** A materialised tensor: contiguous row-major little-endian bytes. */
public record RawTensor(DType dtype, long[] shape, byte[] data) {

    public RawTensor {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        long bytes = Math.multiplyExact(numel(shape), (long) dtype.byteSize());
        if (bytes != data.length) {
            throw new CrateException("tensor of " + dtype + " " + Arrays.toString(shape) + " needs " + bytes
                    + " bytes but was given " + data.length + ": pass data of numel × " + dtype.byteSize() + " bytes");
        }
    }

    /** Number of elements (1 for a scalar of shape []). */
    public long numel() {
        return numel(shape);
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new CrateException("tensor shape " + Arrays.toString(shape) + " has a negative dimension");
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** A float32 tensor of the given shape (shape [] is a scalar holding one value). */
    public static RawTensor ofFloats(float[] values, long... shape) {
        long[] dims = shape.clone();
        if (numel(dims) != values.length) {
            throw new CrateException("ofFloats: " + values.length + " values do not fill shape "
                    + Arrays.toString(dims) + " (" + numel(dims) + " elements): pass a shape whose product is "
                    + values.length);
        }
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        return new RawTensor(DType.F32, dims, buf.array());
    }

    /** Every element converted to float32 (integers and f64 round to nearest; bool is 0 or 1). */
    public float[] toFloats() {
        int n = Math.toIntExact(numel());
        float[] out = new float[n];
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().get(out);
            case F64 -> { for (int i = 0; i < n; i++) out[i] = (float) buf.getDouble(i * 8); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = halfToFloat(buf.getShort(i * 2)); }
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat(buf.getShort(i * 2) << 16); }
            case I64 -> { for (int i = 0; i < n; i++) out[i] = buf.getLong(i * 8); }
            case I32 -> { for (int i = 0; i < n; i++) out[i] = buf.getInt(i * 4); }
            case I16 -> { for (int i = 0; i < n; i++) out[i] = buf.getShort(i * 2); }
            case I8 -> { for (int i = 0; i < n; i++) out[i] = data[i]; }
            case U8 -> { for (int i = 0; i < n; i++) out[i] = data[i] & 0xFF; }
            case BOOL -> { for (int i = 0; i < n; i++) out[i] = data[i] != 0 ? 1f : 0f; }
        }
        return out;
    }

    /** IEEE 754 binary16 to float32 (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        float magnitude;
        if (exponent == 0) {
            magnitude = mantissa * 0x1p-24f; // zero or subnormal: mantissa × 2^-24
        } else if (exponent == 0x1F) {
            magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Float.intBitsToFloat(((exponent - 15 + 127) << 23) | (mantissa << 13));
        }
        return (h & 0x8000) != 0 ? -magnitude : magnitude;
    }

    @Override
    public String toString() {
        return "RawTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
