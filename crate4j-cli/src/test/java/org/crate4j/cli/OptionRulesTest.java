package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Every numeric option of every command, given zero, negative, NaN, infinite and absurdly large
 * values: whatever its rule refuses exits 2 with one line naming the option, never "internal
 * error", and before anything is read (the other arguments name files that do not exist, so a
 * command that looked at them first would fail differently).
 */
class OptionRulesTest {
    static final String[] NASTY = {"0", "-1", "-0.5", "NaN", "Infinity", "-Infinity", "1e12", "2147483647", "99999999999"};

    static List<CommandSpec> commands() {
        List<CommandSpec> out = new ArrayList<>();
        new CommandLine(new Main()).getSubcommands().values().forEach(c -> out.add(c.getCommandSpec()));
        return out;
    }

    @Test
    void everyNumericOptionHasARule() {
        List<String> missing = new ArrayList<>();
        for (CommandSpec c : commands()) {
            for (OptionSpec o : c.options()) {
                if (OptionRules.isNumeric(o.type()) && OptionRules.rule(c.name(), o) == null) {
                    missing.add(c.name() + " " + o.longestName());
                }
            }
        }
        assertTrue(missing.isEmpty(), "numeric options without a range in OptionRules: " + missing);
    }

    /** The command with its required options and parameters filled by names of files that do not exist. */
    static List<String> minimalArgs(CommandSpec c, String except) {
        List<String> args = new ArrayList<>(List.of(c.name()));
        for (OptionSpec o : c.options().stream().filter(OptionSpec::required).toList()) {
            if (!o.longestName().equals(except)) {
                args.add(o.longestName());
                args.add(OptionRules.isNumeric(o.type()) ? "2" : "/nonexistent/crate4j-test/" + o.longestName().substring(2));
            }
        }
        List<String> positional = new ArrayList<>();
        for (PositionalParamSpec p : c.positionalParameters()) {
            for (int i = 0; i < Math.max(1, p.arity().min()); i++) {
                positional.add(p.type() == Path.class || p.type() == List.class ? "/nonexistent/crate4j-test/p" + positional.size() + ".png" : "train");
            }
        }
        return new ArrayList<>(List.of(args, positional).stream().flatMap(List::stream).toList());
    }

    @Test
    void outOfRangeValuesExitTwoWithOneLineNamingTheOption() {
        int refused = 0;
        List<String> problems = new ArrayList<>();
        for (CommandSpec c : commands()) {
            for (OptionSpec o : c.options()) {
                OptionRules.Range rule = OptionRules.rule(c.name(), o);
                if (rule == null) {
                    continue;
                }
                boolean integer = o.type() == int.class || o.type() == Integer.class || o.type() == long.class || o.type() == Long.class;
                for (String v : NASTY) {
                    double d = Double.parseDouble(v);
                    boolean parses = !integer || (d == Math.rint(d) && Math.abs(d) < 9.2e18
                            && (o.type() == long.class || o.type() == Long.class || Math.abs(d) <= Integer.MAX_VALUE));
                    if (parses && rule.allows(d)) {
                        continue; // a valid value: running it could start real work
                    }
                    List<String> args = minimalArgs(c, o.longestName());
                    int at = c.name().equals("launch") ? args.indexOf("train") : args.size();
                    args.addAll(at < 0 ? args.size() : 1, List.of(o.longestName(), v));
                    CliTest.Run r = CliTest.run(args.toArray(String[]::new));
                    String first = r.err().lines().findFirst().orElse("");
                    String why = String.join(" ", args) + " -> " + r.code() + ": " + r.err().trim();
                    if (r.code() != 2 || r.err().contains("internal error") || r.err().contains("\tat ")
                            || !(first.contains(o.longestName()) || first.contains("'" + o.longestName() + "'"))) {
                        problems.add(why);
                    }
                    refused++;
                }
            }
        }
        assertTrue(problems.isEmpty(), problems.size() + " bad values not refused cleanly:\n" + String.join("\n", problems));
        assertTrue(refused > 300, "only " + refused + " cases were tried");
    }

    @Test
    void theMessageNamesOptionValueAndRange() {
        CliTest.Run r = CliTest.run("train", "--lr", "-1", "--out", "/nonexistent/crate4j-test/out");
        assertEquals(2, r.code());
        assertEquals("crate: --lr -1.0 is out of range: use a finite number in [0, 10]", r.err().trim());
        CliTest.Run nan = CliTest.run("train", "--lr", "NaN");
        assertEquals("crate: --lr NaN is out of range: use a finite number in [0, 10]", nan.err().trim());
        CliTest.Run threads = CliTest.run("predict", "--threads", "0", "--weights", "/nonexistent/w.pth", "/nonexistent/x.png");
        assertEquals("crate: --threads 0 is out of range: use a whole number in [1, 4096]", threads.err().trim());
        assertFalse(threads.err().contains("does not exist"), "checked before the files are looked at");
    }
}
