package org.crate4j.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.crate4j.CrateException;

/**
 * numpy scalars (np.float64(0.5), np.int64(7)) pickle as multiarray.scalar(dtype, raw bytes), with
 * the dtype built from numpy.dtype('f8', False, True) plus a state tuple whose second item is the
 * byte order. They come back as Double, Long or Boolean; other numpy kinds stay inert.
 */
final class NumpyScalars {
    private NumpyScalars() {}

    static Object decode(List<Object> args, String where) {
        if (args.size() != 2 || !(args.get(0) instanceof PickledObject dtype) || !dtype.className().startsWith("numpy.dtype")
                || dtype.args().isEmpty() || !(dtype.args().get(0) instanceof String code)) {
            return new PickledObject("numpy.core.multiarray.scalar", args, null);
        }
        byte[] raw = args.get(1) instanceof byte[] b ? b
                : args.get(1) instanceof String s ? s.getBytes(StandardCharsets.ISO_8859_1) : null;
        ByteOrder order = dtype.state() instanceof List<?> state && state.size() > 1 && ">".equals(state.get(1))
                ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        char kind = code.isEmpty() ? '?' : code.charAt(0);
        int size = code.length() > 1 && Character.isDigit(code.charAt(1)) ? Integer.parseInt(code.substring(1)) : -1;
        if (raw == null || raw.length != size || "fiub".indexOf(kind) < 0) {
            if (raw != null && size > 0 && raw.length != size) {
                throw new CrateException(where + ": numpy scalar of dtype '" + code + "' holds " + raw.length
                        + " bytes instead of " + size + "; the file is corrupt");
            }
            return new PickledObject("numpy.core.multiarray.scalar", args, null);
        }
        ByteBuffer buf = ByteBuffer.wrap(raw).order(order);
        switch (kind) {
            case 'f':
                if (size == 8) return buf.getDouble();
                if (size == 4) return (double) buf.getFloat();
                if (size == 2) return (double) RawTensor.halfToFloat(buf.getShort());
                break;
            case 'b':
                if (size == 1) return raw[0] != 0;
                break;
            case 'i':
            case 'u':
                long v = switch (size) {
                    case 1 -> kind == 'i' ? raw[0] : raw[0] & 0xFF;
                    case 2 -> kind == 'i' ? buf.getShort() : buf.getShort() & 0xFFFF;
                    case 4 -> kind == 'i' ? buf.getInt() : buf.getInt() & 0xFFFFFFFFL;
                    case 8 -> buf.getLong();
                    default -> throw new CrateException(where + ": numpy scalar of dtype '" + code + "' has an impossible size");
                };
                if (kind == 'u' && size == 8 && v < 0) {
                    return new java.math.BigInteger(Long.toUnsignedString(v));
                }
                return v;
            default:
                break;
        }
        return new PickledObject("numpy.core.multiarray.scalar", args, null);
    }
}
