package org.crate4j.checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;

/** Strict comparison of a state dict's keys and shapes against what a model expects. */
public final class StateDictCheck {
    private StateDictCheck() {}

    /**
     * Fails with one line listing every missing, unexpected and mis-shaped key (first few of
     * each) when {@code found} does not match {@code expected} exactly.
     */
    public static void requireExact(String source, Map<String, long[]> expected, Map<String, long[]> found, String hint) {
        List<String> missing = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            long[] f = found.get(e.getKey());
            if (f == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(f, e.getValue())) {
                misShaped.add(e.getKey() + " is " + shape(f) + " but the model expects " + shape(e.getValue()));
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String k : found.keySet()) {
            if (!expected.containsKey(k)) {
                unexpected.add(k);
            }
        }
        if (missing.isEmpty() && misShaped.isEmpty() && unexpected.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder(source).append(": weights do not fit the model:");
        part(sb, "mis-shaped", misShaped);
        part(sb, "missing", missing);
        part(sb, "unexpected", unexpected);
        if (hint != null) {
            sb.append("; ").append(hint);
        }
        throw new CrateException(sb.toString());
    }

    /**
     * The shape of {@code key}, which must be there with rank {@code rank}; a missing key fails as
     * {@code source: no 'key' tensor: } followed by {@code notThis} (what the file then is not).
     */
    public static long[] need(String source, Map<String, long[]> shapes, String key, int rank, String notThis) {
        long[] s = shapes.get(key);
        if (s == null) {
            throw new CrateException(source + ": no '" + key + "' tensor: " + notThis);
        }
        if (s.length != rank) {
            throw new CrateException(source + ": '" + key + "' is " + shape(s) + ", expected rank " + rank);
        }
        return s;
    }

    public static String shape(long[] s) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < s.length; i++) {
            sb.append(i > 0 ? ", " : "").append(s[i]);
        }
        return sb.append(s.length == 1 ? ",)" : ")").toString();
    }

    private static void part(StringBuilder sb, String what, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        sb.append(' ').append(items.size()).append(' ').append(what).append(" [");
        sb.append(String.join("; ", items.subList(0, Math.min(4, items.size()))));
        if (items.size() > 4) {
            sb.append("; …");
        }
        sb.append(']');
    }
}
