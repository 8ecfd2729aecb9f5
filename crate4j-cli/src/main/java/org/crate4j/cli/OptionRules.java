package org.crate4j.cli;

import java.lang.reflect.Array;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.crate4j.CrateException;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The allowed range of every numeric option of every command, checked in one place after parsing
 * and before a command reads or writes anything. Out of range (negative, zero where zero means
 * nothing, NaN or infinite in any spelling, absurdly large) is one line naming the option, the value
 * and the range, exit 2. A rule is found by "command option" first, then by the option alone;
 * OptionRulesTest fails when a numeric option has no rule.
 */
final class OptionRules {
    /** An interval of allowed values; the bounds say whether they are included. */
    record Range(double min, boolean minIncluded, double max, boolean maxIncluded, boolean integer) {
        boolean allows(double v) {
            return Double.isFinite(v) && (minIncluded ? v >= min : v > min) && (maxIncluded ? v <= max : v < max)
                    && (!integer || v == Math.rint(v));
        }

        String describe() {
            String lo = integer ? String.valueOf((long) min) : fmt(min), hi = integer ? String.valueOf((long) max) : fmt(max);
            return (integer ? "a whole number" : "a finite number") + " in " + (minIncluded ? "[" : "(") + lo + ", " + hi
                    + (maxIncluded ? "]" : ")");
        }

        private static String fmt(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
        }
    }

    static Range ints(long min, long max) { return new Range(min, true, max, true, true); }
    static Range closed(double min, double max) { return new Range(min, true, max, true, false); }
    static Range fraction() { return new Range(0, true, 1, false, false); }        // [0, 1)
    static Range positiveFraction() { return new Range(0, false, 1, true, false); } // (0, 1]
    static final Range ANY = new Range(-Double.MAX_VALUE, true, Double.MAX_VALUE, true, false);

    static final Map<String, Range> RULES = Map.ofEntries(
            // sizes of models and data
            Map.entry("--batch", ints(1, 1 << 20)),
            Map.entry("--heads", ints(1, 4096)),
            Map.entry("--dim", ints(1, 1 << 16)),
            Map.entry("--depth", ints(1, 1024)),
            Map.entry("--decoder-depth", ints(1, 1024)),
            Map.entry("--patch", ints(1, 4096)),
            Map.entry("--patch-window", ints(1, 4096)),
            Map.entry("--patch-code", ints(0, 1 << 20)),
            Map.entry("--image-size", ints(1, 1 << 16)),
            Map.entry("--size", ints(1, 1 << 16)),
            Map.entry("make-synthetic --size", ints(16, 4096)),
            Map.entry("--layer", ints(0, 4096)),
            Map.entry("--top", ints(1, 1 << 24)),
            Map.entry("--images", ints(1, 1 << 30)),
            Map.entry("--objects", ints(1, 1000)),
            Map.entry("--train", ints(1, 1 << 26)),
            Map.entry("--val", ints(1, 1 << 26)),
            Map.entry("--train-images", ints(1, 1 << 30)),
            // schedule and optimiser
            Map.entry("--epochs", ints(1, 1_000_000)),
            Map.entry("--steps", ints(1, 1_000_000)),
            Map.entry("--accum-steps", ints(1, 1 << 16)),
            Map.entry("bench --warmup", ints(0, 1_000_000)),
            Map.entry("bench --time-limit", new Range(0, false, 1e6, true, false)),
            Map.entry("bench --memory-limit", new Range(0, false, 1 << 16, true, false)),
            Map.entry("--lr", closed(0, 10)),
            Map.entry("--min-lr", closed(0, 10)),
            Map.entry("--blr", new Range(0, false, 10, true, false)),
            Map.entry("--wd", closed(0, 10)),
            Map.entry("--clip", closed(0, 1e6)),
            Map.entry("--sam", closed(0, 10)),
            Map.entry("--warmup-epochs", closed(0, 1e6)),
            Map.entry("--warmup-fraction", fraction()),
            Map.entry("--time-budget", closed(0, 1e6)),
            Map.entry("--label-smoothing", fraction()),
            Map.entry("--dropout", fraction()),
            Map.entry("--patch-dropout", fraction()),
            Map.entry("--patch-dropout-until", positiveFraction()),
            Map.entry("--mask-ratio", fraction()),
            Map.entry("--crop-scale", positiveFraction()),
            Map.entry("--seed", ANY),
            Map.entry("--log-every", ints(0, 1 << 30)),
            // analysis
            Map.entry("--tau", closed(-1, 1)),
            Map.entry("--mass", positiveFraction()),
            Map.entry("--box-area", positiveFraction()),
            // processes and threads
            Map.entry("--threads", ints(1, 4096)),
            Map.entry("--workers", ints(0, 1024)),
            Map.entry("--nproc", ints(1, 4096)),
            Map.entry("--nnodes", ints(1, 1 << 16)),
            Map.entry("--node-rank", ints(0, (1 << 16) - 1)),
            Map.entry("--master-port", ints(1, 65535)),
            Map.entry("--timeout", new Range(0, false, 1e6, true, false)),
            // crate serve
            Map.entry("serve --port", ints(0, 65535)),
            Map.entry("--max-upload-mb", ints(1, 1024)),
            Map.entry("serve --models", ints(1, 64)),
            // per-channel normalisation
            Map.entry("--mean", closed(-1e6, 1e6)),
            Map.entry("--std", new Range(0, false, 1e6, true, false)));

    private OptionRules() {}

    /** Checks every option given on the command line of {@code parsed} and its sub-commands. */
    static void check(ParseResult parsed) {
        for (ParseResult pr = parsed; pr != null; pr = pr.subcommand()) {
            String command = pr.commandSpec().name();
            for (OptionSpec o : pr.matchedOptions()) {
                Range r = rule(command, o);
                if (r != null) {
                    checkValue(o.longestName(), o.getValue(), r);
                }
            }
        }
    }

    /** The rule for a numeric option (null for others, and for numeric ones without a rule). */
    static Range rule(String command, OptionSpec o) {
        if (!isNumeric(o.type())) {
            return null;
        }
        Range r = RULES.get(command + " " + o.longestName());
        return r != null ? r : RULES.get(o.longestName());
    }

    static boolean isNumeric(Class<?> t) {
        Class<?> c = t.isArray() ? t.getComponentType() : t;
        return c == int.class || c == long.class || c == double.class || c == float.class || Number.class.isAssignableFrom(c);
    }

    static void checkValue(String option, Object value, Range r) {
        if (value == null) {
            return;
        }
        if (value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                checkValue(option, Array.get(value, i), r);
            }
            return;
        }
        if (value instanceof List<?> list) {
            list.forEach(v -> checkValue(option, v, r));
            return;
        }
        double v = ((Number) value).doubleValue();
        if (!r.allows(v)) {
            throw new CrateException(option + " " + show(value) + " is out of range: use " + r.describe());
        }
    }

    private static String show(Object value) {
        if (value instanceof Double d && d.isNaN() || value instanceof Float f && f.isNaN()) {
            return "NaN";
        }
        return String.valueOf(value).toLowerCase(Locale.ROOT).equals("infinity") ? "Infinity" : String.valueOf(value);
    }
}
