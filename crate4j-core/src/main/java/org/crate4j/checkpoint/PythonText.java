package org.crate4j.checkpoint;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Python's textual conventions: str() of dict keys, and the literals of protocol-0 pickles. */
final class PythonText {
    private static final int MAX_DEPTH = 64;

    private PythonText() {}

    /** What Python's str(key) prints, so a non-string dict key reads as it would in Python. */
    static String str(Object value) {
        return value instanceof String s ? s : repr(value, 0);
    }

    private static String repr(Object v, int depth) {
        if (depth > MAX_DEPTH) {
            return "...";
        }
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Long || v instanceof BigInteger) {
            return v.toString();
        }
        if (v instanceof Double d) {
            return floatRepr(d);
        }
        if (v instanceof String s) {
            return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
        }
        if (v instanceof List<?> list) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < list.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(repr(list.get(i), depth + 1));
            }
            return sb.append(list.size() == 1 ? ",)" : ")").toString();
        }
        if (v instanceof Map<?, ?> map) {
            return "{" + map.size() + " items}";
        }
        if (v instanceof PickledObject o) {
            return "<" + o.className() + ">";
        }
        return String.valueOf(v);
    }

    /** Python's float repr for the common cases: 1.0, 0.5, 1e-05, 1e+16, inf, nan. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        String s = Double.toString(d); // Java: 1.0E-5, 1.0E16, 0.5
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        int exponent = Integer.parseInt(s.substring(e + 1));
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }

    /** A protocol-0 FLOAT argument; Python writes inf and nan as words. */
    static double parseFloat(String text) {
        return switch (text.trim()) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan", "-nan" -> Double.NaN;
            default -> Double.parseDouble(text.trim());
        };
    }

    /** A protocol-0 STRING argument: a quoted Python 2 bytes literal. */
    static byte[] unquoteBytes(String literal) {
        String s = literal.trim();
        if (s.length() < 2 || s.charAt(0) != s.charAt(s.length() - 1) || (s.charAt(0) != '\'' && s.charAt(0) != '"')) {
            throw new IllegalArgumentException("not a quoted string: " + abbreviate(s));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            char k = s.charAt(++i);
            switch (k) {
                case 'n' -> out.write('\n');
                case 'r' -> out.write('\r');
                case 't' -> out.write('\t');
                case 'a' -> out.write(7);
                case 'b' -> out.write(8);
                case 'f' -> out.write(12);
                case 'v' -> out.write(11);
                case 'x' -> {
                    out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                default -> {
                    if (k >= '0' && k <= '7') {
                        int j = i;
                        while (j < i + 3 && j < s.length() - 1 && s.charAt(j) >= '0' && s.charAt(j) <= '7') {
                            j++;
                        }
                        out.write(Integer.parseInt(s.substring(i, j), 8) & 0xFF);
                        i = j - 1;
                    } else {
                        out.write(k); // \\ \' \"
                    }
                }
            }
        }
        return out.toByteArray();
    }

    /** A protocol-0 UNICODE argument: Python's raw-unicode-escape (latin-1 plus \\uXXXX escapes). */
    static String rawUnicodeEscape(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (int i = 0; i < bytes.length; i++) {
            int c = bytes[i] & 0xFF;
            if (c == '\\' && i + 1 < bytes.length && (bytes[i + 1] == 'u' || bytes[i + 1] == 'U')) {
                int digits = bytes[i + 1] == 'u' ? 4 : 8;
                String hex = new String(bytes, i + 2, Math.min(digits, bytes.length - i - 2), StandardCharsets.ISO_8859_1);
                sb.appendCodePoint(Integer.parseInt(hex, 16));
                i += 1 + digits;
            } else {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
