package org.crate4j.cli;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.crate4j.CrateException;

/** The parameters of an explorer request, each number checked against its range with a one-line message. */
record Query(Map<String, String> values) {
    static Query of(String rawQuery) {
        Map<String, String> q = new HashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String k = eq < 0 ? pair : pair.substring(0, eq), v = eq < 0 ? "" : pair.substring(eq + 1);
                try {
                    q.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw new CrateException("the query " + rawQuery + " is not URL-encoded");
                }
            }
        }
        return new Query(q);
    }

    String get(String name) {
        return values.get(name);
    }

    /** A whole number in [min, max]; {@code fallback} when absent, and required when the fallback is negative. */
    int integer(String name, int fallback, int min, int max) {
        String v = values.get(name);
        if (v == null && fallback >= 0) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v == null ? "" : v.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // told below
        }
        throw new CrateException(name + (v == null ? " is missing" : " '" + v + "' is out of range") + ": give a whole number in ["
                + min + ", " + max + "]");
    }

    /** A finite number in [min, max], {@code fallback} when absent. */
    double number(String name, double fallback, double min, double max) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v.strip());
            if (d >= min && d <= max) {
                return d;
            }
        } catch (NumberFormatException e) {
            // told below
        }
        throw new CrateException(name + " '" + v + "' is out of range: give a number in [" + min + ", " + max + "]");
    }
}
