package org.crate4j.train;

import java.util.Arrays;
import java.util.List;
import org.crate4j.CrateException;
import org.crate4j.data.BadFiles;
import org.crate4j.data.DataLoader;
import org.crate4j.data.DataLoader.OnBadFile;
import org.crate4j.data.Dataset;

/**
 * What the loops do with files that cannot be decoded, and how they count them. Training may put
 * another sample in place of a bad one, evaluation never does; with strict checking either stops
 * at the first. Each process records the entries it met; the counts a report gives are the job's
 * (distinct over the processes), so rank 0 does not speak for itself alone.
 */
public final class DataIntegrity {
    private DataIntegrity() {}

    /** The training loader's policy. */
    public static OnBadFile forTraining(boolean strict) {
        return strict ? OnBadFile.FAIL : OnBadFile.SUBSTITUTE;
    }

    /** The evaluation loader's policy: a bad file is left out, never replaced by an image scored twice. */
    public static OnBadFile forEvaluation(boolean strict) {
        return strict ? OnBadFile.FAIL : OnBadFile.SKIP;
    }

    /** The loader's bad files on all processes of {@code sync}, the first few named. A collective: every rank calls it. */
    public static BadFiles badFiles(DataLoader loader, GradientSync sync) {
        return loader.badFiles(gather(loader.badIndices(), sync));
    }

    /**
     * The union of every process's bad indices, ascending. GradientSync only sums, so each process
     * writes its indices into its own slice of a zero array and the sum is the concatenation;
     * the slices' sizes come from a first sum. Indices below 2^53 are exact as doubles.
     */
    static int[] gather(int[] mine, GradientSync sync) {
        if (sync.worldSize() == 1) {
            return mine;
        }
        double[] counts = new double[sync.worldSize()];
        counts[sync.rank()] = mine.length;
        counts = sync.sum(counts);
        int offset = 0, total = 0;
        for (int r = 0; r < counts.length; r++) {
            offset += r < sync.rank() ? (int) counts[r] : 0;
            total += (int) counts[r];
        }
        if (total == 0) { // the same on every rank, so all skip the second sum together
            return new int[0];
        }
        double[] slices = new double[total];
        for (int i = 0; i < mine.length; i++) {
            slices[offset + i] = mine[i];
        }
        return Arrays.stream(sync.sum(slices)).mapToInt(v -> (int) Math.round(v)).distinct().sorted().toArray();
    }

    /**
     * Refuses an evaluation in which a class that has images kept none: its row of the confusion
     * matrix would be empty and the accuracy taken over the other classes alone would look better
     * than it is.
     *
     * @param readable   images read per class (over all processes)
     * @param badIndices the dataset indices that could not be decoded (over all processes)
     */
    static void requireReadableClasses(DataLoader loader, double[] readable, int[] badIndices) {
        Dataset ds = loader.dataset();
        int[] bad = new int[readable.length];
        int[] example = new int[readable.length];
        for (int i = badIndices.length - 1; i >= 0; i--) {
            int c = ds.label(badIndices[i]);
            if (c < bad.length) {
                bad[c]++;
                example[c] = badIndices[i];
            }
        }
        for (int c = 0; c < readable.length; c++) {
            if (readable[c] == 0 && bad[c] > 0) {
                BadFiles.Entry e = loader.badFiles(new int[] {example[c]}).first().get(0);
                List<String> names = ds.classes();
                String name = c < names.size() ? names.get(c) : String.valueOf(c);
                throw new CrateException("no image of class '" + name + "' can be read (" + bad[c] + " bad file" + (bad[c] == 1 ? "" : "s")
                        + ", e.g. " + e.problem() + "): an accuracy without the class would mislead; fix or replace its files");
            }
        }
    }
}
