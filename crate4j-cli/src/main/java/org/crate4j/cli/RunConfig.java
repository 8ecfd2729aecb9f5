package org.crate4j.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.crate4j.CrateException;
import org.crate4j.io.Inputs;

/**
 * {@code crate train --config run.json}: the earlier run's resolved command line
 * ({@code resolved_argv} in its run.json), then the options given beside {@code --config}, which
 * win. The new run gets a folder of its own unless {@code --out} says otherwise.
 */
final class RunConfig {
    private RunConfig() {}

    /** {@code args} with {@code --config FILE} replaced by the file's command line; unchanged without it. */
    static String[] expand(String[] args) {
        int at = -1;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") || args[i].startsWith("--config=")) {
                at = i;
            }
        }
        if (at < 0 || args.length == 0 || !args[0].equals("train")) {
            return args;
        }
        boolean joined = args[at].startsWith("--config=");
        if (!joined && at + 1 >= args.length) {
            throw new CrateException("--config needs a run.json");
        }
        Path file = Path.of(joined ? args[at].substring("--config=".length()) : args[at + 1]);
        List<String> out = new ArrayList<>(resolvedArgs(file));
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        rest.remove(at - 1);
        if (!joined) {
            rest.remove(at - 1);
        }
        out.addAll(rest);
        return out.toArray(String[]::new);
    }

    static List<String> resolvedArgs(Path file) {
        Inputs.requireFile(file, "run record");
        JsonObject o;
        try {
            o = JsonParser.parseString(java.nio.file.Files.readString(file)).getAsJsonObject();
        } catch (Exception e) {
            throw new CrateException("run record " + file + " is not a crate4j run.json (" + e.getMessage() + ")");
        }
        JsonElement argv = o.get("resolved_argv");
        if (argv == null || !argv.isJsonArray()) {
            throw new CrateException("run record " + file + " holds no resolved_argv: it was not written by crate train");
        }
        List<String> a = new ArrayList<>();
        argv.getAsJsonArray().forEach(e -> a.add(e.getAsString()));
        if (a.isEmpty() || !a.get(0).equals("train")) {
            throw new CrateException("run record " + file + " is not of a crate train run");
        }
        return a;
    }
}
