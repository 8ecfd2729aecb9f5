package org.crate4j.data;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The entries of a dataset that could not be decoded (corrupt, truncated, unreadable): how many,
 * and the first few in dataset order, each with the file it came from and what is wrong with it.
 * A loader or a run reports them rather than quietly working around them.
 *
 * @param count every bad entry met
 * @param first the first {@link #NAMED} of them by dataset index
 */
public record BadFiles(long count, List<Entry> first) {
    /** How many bad files a report names; the rest are counted. */
    public static final int NAMED = 5;
    public static final BadFiles NONE = new BadFiles(0, List.of());

    /**
     * @param file    where the entry came from ({@link Dataset#source})
     * @param problem the decoder's one-line message, which names the file
     */
    public record Entry(int index, String file, String problem) {}

    public BadFiles {
        first = List.copyOf(first);
    }

    public boolean any() {
        return count > 0;
    }

    /** The files, e.g. {@code a.png, b.jpg} or {@code a.png, b.jpg, … and 4 more}. */
    public String names() {
        String named = first.stream().map(Entry::file).collect(Collectors.joining(", "));
        return count > first.size() ? named + ", … and " + (count - first.size()) + " more" : named;
    }

    /** Each named file's problem, e.g. {@code image a.png is truncated (…); image b.jpg is empty (0 bytes)}. */
    public String problems() {
        String named = first.stream().map(Entry::problem).collect(Collectors.joining("; "));
        return count > first.size() ? named + "; … and " + (count - first.size()) + " more" : named;
    }
}
