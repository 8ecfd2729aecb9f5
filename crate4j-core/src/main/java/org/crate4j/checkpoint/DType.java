package org.crate4j.checkpoint;

import org.crate4j.CrateException;

/** Element types crate4j can hold in a {@link RawTensor}; names follow safetensors. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype string safetensors headers use ("F32", "BF16", "BOOL", ...). */
    public String safetensorsName() {
        return name();
    }

    /** Parses a safetensors dtype string; fails for types crate4j does not hold (F8_*, U16, C64...). */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new CrateException("safetensors dtype '" + name + "' is not supported; crate4j reads "
                + java.util.Arrays.toString(values()) + ": convert the tensor to one of these before loading");
    }

    boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }
}
