package org.crate4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Main source files as text, for the tests that check the code's shape (device placement, layering). */
public final class SourceCode {
    private SourceCode() {}

    /** The {@code .java} files below {@code root}, in a stable order. */
    public static List<Path> javaFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** A reference to a crate4j package (import or qualified name), and the package named. */
    private static final Pattern CRATE4J_NAME = Pattern.compile("\\borg\\s*\\.\\s*crate4j\\s*\\.\\s*(\\w+)");

    /**
     * "line: text" for every reference outside comments and strings to an {@code org.crate4j}
     * package (or top-level class, such as {@code CrateException}) not in {@code allowed}.
     */
    public static List<String> referencesOutside(String source, Set<String> allowed) {
        String[] lines = withoutCommentsAndStrings(source).split("\n", -1), original = source.split("\n", -1);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            Matcher m = CRATE4J_NAME.matcher(lines[i]);
            while (m.find()) {
                if (!allowed.contains(m.group(1))) {
                    out.add((i + 1) + ": " + original[i].strip());
                }
            }
        }
        return out;
    }

    /** {@link #referencesOutside} over every main source file below {@code root}, each prefixed by its file name. */
    public static List<String> referencesOutside(Path root, Set<String> allowed) throws IOException {
        List<String> found = new ArrayList<>();
        for (Path p : javaFiles(root)) {
            for (String v : referencesOutside(Files.readString(p), allowed)) {
                found.add(root.relativize(p) + ":" + v);
            }
        }
        return found;
    }

    /** The source with comments, string, text-block and char literals blanked out; line breaks kept. */
    public static String withoutCommentsAndStrings(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < n && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = blank(s, i, end < 0 ? n : end + 2, b);
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                i = blank(s, i, end < 0 ? n : end + 3, b);
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && s.charAt(j) != c && s.charAt(j) != '\n') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                i = blank(s, i, Math.min(n, j + 1), b);
            } else {
                b.append(c);
                i++;
            }
        }
        return b.toString();
    }

    private static int blank(String s, int from, int to, StringBuilder b) {
        for (int k = from; k < to; k++) {
            b.append(s.charAt(k) == '\n' ? '\n' : ' ');
        }
        return to;
    }
}
