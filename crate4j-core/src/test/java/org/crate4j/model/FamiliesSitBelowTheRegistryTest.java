package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.crate4j.SourceCode;
import org.junit.jupiter.api.Test;

/**
 * The model families (the blocks and CRATE in {@code model}, and {@code mae}, {@code alpha},
 * {@code vit}, {@code tost}) sit below the registry and everything that uses them: none of their
 * main sources names {@code zoo}, {@code api}, {@code train}, {@code analysis}, {@code data},
 * {@code dist} or {@code viz}. Arrows point one way: the registry knows the families, not the
 * other way round.
 */
class FamiliesSitBelowTheRegistryTest {
    private static final List<String> FAMILIES = List.of("model", "mae", "alpha", "vit", "tost");
    private static final Set<String> BELOW = Set.of("model", "mae", "alpha", "vit", "tost", "checkpoint", "engine", "io",
            "CrateException");

    @Test
    void familiesImportNothingAboveThem() throws IOException {
        List<String> found = new ArrayList<>();
        for (String family : FAMILIES) {
            Path dir = Path.of("src/main/java/org/crate4j", family);
            assertTrue(Files.isDirectory(dir), "no sources at " + dir.toAbsolutePath());
            SourceCode.referencesOutside(dir, BELOW).forEach(v -> found.add(family + "/" + v));
        }
        assertEquals(List.of(), found, "a family's code that needs the registry or a loop belongs in zoo or above");
    }
}
