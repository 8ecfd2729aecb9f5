package org.crate4j.cli;

import org.crate4j.data.BadFiles;
import picocli.CommandLine.Option;

/** {@code --strict-data}, for every command that reads a data set, and how its bad files are reported. */
final class DataCheckOptions {
    @Option(names = "--strict-data", description = "stop at the first data file that cannot be decoded (corrupt, truncated, "
            + "unreadable); without it training replaces such a file by another sample and evaluation leaves it out, "
            + "and both name and count them")
    boolean strict;

    /** "; 2 unreadable files left out: a.png, b.jpg" (empty when there are none). */
    static String leftOut(BadFiles bad) {
        return leftOut("", bad);
    }

    /** "; 2 unreadable files left out of the training split: a.png, b.jpg" for {@code where} "the training split". */
    static String leftOut(String where, BadFiles bad) {
        return bad.any() ? "; " + count(bad) + " left out" + (where.isEmpty() ? "" : " of " + where) + ": " + bad.names() : "";
    }

    /** "1 unreadable file", "3 unreadable files". */
    static String count(BadFiles bad) {
        return bad.count() + " unreadable file" + (bad.count() == 1 ? "" : "s");
    }
}
