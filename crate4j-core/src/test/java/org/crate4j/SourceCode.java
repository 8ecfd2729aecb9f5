package org.crate4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
