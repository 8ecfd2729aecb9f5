package org.crate4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.crate4j.SourceCode;
import org.junit.jupiter.api.Test;

/**
 * {@code checkpoint} is the file-format layer (torch.save, safetensors, state-dict checks): it sits
 * below the model families and knows none of them. Every reference from its main sources to an
 * {@code org.crate4j} package other than itself, {@code engine}, {@code io} and the shared
 * {@code CrateException} fails this test with its file and line, whether an import or a fully
 * qualified name. A family's loader belongs beside the family or in {@code zoo}.
 */
class CheckpointKnowsNoModelTest {
    private static final Path CHECKPOINT = Path.of("src/main/java/org/crate4j/checkpoint");
    private static final Set<String> BELOW = Set.of("checkpoint", "engine", "io", "CrateException");

    @Test
    void checkpointImportsNoModelFamily() throws IOException {
        assertTrue(Files.isDirectory(CHECKPOINT), "no checkpoint sources at " + CHECKPOINT.toAbsolutePath());
        assertTrue(SourceCode.javaFiles(CHECKPOINT).size() > 10, "scanned too few files");
        assertEquals(List.of(), SourceCode.referencesOutside(CHECKPOINT, BELOW),
                "move what knows a model family out of checkpoint (beside the family, or into zoo)");
    }

    @Test
    void theScanCatchesImportsAndQualifiedNamesOfFamiliesAndNothingBelow() {
        assertEquals(List.of("2: import org.crate4j.model.CrateConfig;"),
                violations("package org.crate4j.checkpoint;\nimport org.crate4j.model.CrateConfig;\nimport org.crate4j.engine.Torch;"));
        assertEquals(1, violations("java.util.List<org.crate4j.model.ParameterSpec> specs;").size());
        assertEquals(1, violations("import org.crate4j.mae.*;").size());
        assertEquals(1, violations("import static org.crate4j.zoo.Zoo.load;").size());
        assertEquals(2, violations("org.crate4j.vit.VitConfig v; org.crate4j.tost.Tost t;").size(), "each name on a line");
        // fine: the layers below, and families named in comments and strings
        assertEquals(List.of(), violations("import org.crate4j.CrateException;\nimport org.crate4j.io.Inputs;\n"
                + "import org.crate4j.checkpoint.RawTensor;"));
        assertEquals(List.of(), violations("/** written by {@link org.crate4j.model.CrateWeights} */\n"
                + "String fix = \"org.crate4j.zoo.Zoo loads it\"; // org.crate4j.alpha"));
    }

    private static List<String> violations(String source) {
        return SourceCode.referencesOutside(source, BELOW);
    }
}
