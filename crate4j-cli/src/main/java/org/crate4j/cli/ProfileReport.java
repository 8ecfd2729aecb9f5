package org.crate4j.cli;

import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.crate4j.engine.OpProfiler.Kind;
import org.crate4j.train.StepProfile;

/** {@code crate bench --profile}: the step profile as a table (milliseconds and shares) and as JSON. */
final class ProfileReport {
    private static final List<String> PHASES = List.of("inference", "forward", "backward", "update");

    private ProfileReport() {}

    static String table(StepProfile.Result r) {
        List<StepProfile.Phase> phases = phases(r);
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "%s batch %d, %s, %d thread%s: ms per step (mean of %d after warm-up); train = forward + backward + update%n",
                r.model(), r.batch(), r.precision(), r.threads(), r.threads() == 1 ? "" : "s", r.steps()));
        s.append(String.format(Locale.ROOT, "%-12s %16s %16s %16s %16s %16s%n", "", "inference", "train forward", "train backward",
                "train update", "train step"));
        for (Kind k : Kind.values()) {
            double[] v = new double[phases.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = phases.get(i).seconds().get(k.key);
            }
            s.append(row(k.key, v, phases));
        }
        double[] untimed = phases.stream().mapToDouble(StepProfile.Phase::untimed).toArray();
        s.append(row("untimed", untimed, phases));
        double[] wall = phases.stream().mapToDouble(StepProfile.Phase::wallSeconds).toArray();
        s.append(row("total", wall, phases));
        return s.toString();
    }

    /** Inference, the train phases, and their sum (the train step). */
    private static List<StepProfile.Phase> phases(StepProfile.Result r) {
        StepProfile.Phase step = sum(r.forward(), r.backward(), r.update());
        return List.of(r.inference(), r.forward(), r.backward(), r.update(), step);
    }

    private static StepProfile.Phase sum(StepProfile.Phase... parts) {
        Map<String, Double> s = new LinkedHashMap<>();
        double wall = 0;
        for (StepProfile.Phase p : parts) {
            p.seconds().forEach((k, v) -> s.merge(k, v, Double::sum));
            wall += p.wallSeconds();
        }
        return new StepProfile.Phase(s, wall);
    }

    // ms and the share of the phase's wall time (of the inference step, or of the train step for the train columns)
    private static String row(String name, double[] seconds, List<StepProfile.Phase> phases) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-12s", name));
        for (int i = 0; i < seconds.length; i++) {
            double whole = i == 0 ? phases.get(0).wallSeconds() : phases.get(phases.size() - 1).wallSeconds();
            s.append(String.format(Locale.ROOT, " %9.1f (%3.0f%%)", 1000 * seconds[i], whole > 0 ? 100 * seconds[i] / whole : 0));
        }
        return s.append(System.lineSeparator()).toString();
    }

    static JsonObject json(StepProfile.Result r) {
        JsonObject o = new JsonObject();
        o.addProperty("model", r.model());
        o.addProperty("batch", r.batch());
        o.addProperty("threads", r.threads());
        o.addProperty("precision", r.precision());
        o.addProperty("device", r.device());
        o.addProperty("steps", r.steps());
        o.addProperty("trainStepSeconds", micro(r.trainStepSeconds()));
        o.addProperty("inferenceStepSeconds", micro(r.inference().wallSeconds()));
        List<StepProfile.Phase> phases = List.of(r.inference(), r.forward(), r.backward(), r.update());
        for (int i = 0; i < PHASES.size(); i++) {
            StepProfile.Phase p = phases.get(i);
            JsonObject ph = new JsonObject();
            p.seconds().forEach((k, v) -> ph.addProperty(k, micro(v)));
            ph.addProperty("untimed", micro(p.untimed()));
            ph.addProperty("wallSeconds", micro(p.wallSeconds()));
            o.add(PHASES.get(i), ph);
        }
        return o;
    }

    private static double micro(double seconds) {
        return Math.round(seconds * 1e6) / 1e6;
    }
}
