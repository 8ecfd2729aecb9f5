package org.crate4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.crate4j.SourceCode;
import org.junit.jupiter.api.Test;

/**
 * Placement by construction: the main code of crate4j-core and crate4j-cli makes tensors only
 * through {@link Torch}, whose factories all take a device. A libtorch factory called anywhere
 * else ({@code torch.zeros(shape)} makes a CPU tensor whatever the model's device) fails this
 * test with its file and line. Factories that copy another tensor's device ({@code zeros_like},
 * {@code new_zeros}) are fine.
 */
class DevicePlacementTest {
    /** libtorch's factories: a new tensor, on the CPU unless options say otherwise. */
    private static final Pattern LIBTORCH_FACTORY = Pattern.compile("\\btorch\\s*\\.\\s*(zeros|ones|rand|randn|randint|randperm|empty"
            + "|empty_strided|full|arange|eye|linspace|logspace|tensor|from_blob|scalar_tensor|tril_indices|triu_indices)\\s*\\(");
    /** JavaCPP's array copy (a CPU tensor), Torch's CPU shortcut for tests, and static imports that would hide a factory. */
    private static final Pattern HOST_FACTORY = Pattern.compile("\\bTensor\\s*\\.\\s*create\\s*\\(|\\bTorch\\s*\\.\\s*fromFloats\\s*\\("
            + "|import\\s+static\\s+org\\.bytedeco\\.pytorch\\.global\\.torch\\b");
    private static final Path HELPER = Path.of("src/main/java/org/crate4j/engine/Torch.java");

    @Test
    void mainCodeMakesTensorsOnlyThroughTheDeviceHelpers() throws IOException {
        List<Path> roots = List.of(Path.of("src/main/java"), Path.of("../crate4j-cli/src/main/java"));
        List<String> found = new ArrayList<>();
        int files = 0;
        for (Path root : roots) {
            assertTrue(Files.isDirectory(root), "no main sources at " + root.toAbsolutePath());
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.filter(f -> f.toString().endsWith(".java")).toList()) {
                    files++;
                    if (p.normalize().equals(HELPER.normalize())) {
                        continue;
                    }
                    for (String v : violations(Files.readString(p))) {
                        found.add(p + ":" + v);
                    }
                }
            }
        }
        assertTrue(files > 100, "scanned only " + files + " files");
        assertEquals(List.of(), found, "make these tensors with org.crate4j.engine.Torch on the model's device");
    }

    @Test
    void theScanCatchesAFactoryWithoutDeviceAndNothingElse() {
        assertEquals(List.of("2: Tensor t = torch.zeros(shape);"), violations("class A {\nTensor t = torch.zeros(shape);\n}"));
        assertEquals(1, violations("x = torch . randn (new long[] {2, 3});").size());
        assertEquals(1, violations("Tensor y = Tensor.create(values, 3);").size());
        assertEquals(1, violations("Tensor y = Torch.fromFloats(values, 3);").size());
        assertEquals(1, violations("import static org.bytedeco.pytorch.global.torch.*;").size());
        assertEquals(2, violations("a = torch.eye(k); b = torch.arange(5);").size(), "each line reports each factory");
        // fine: the device helpers, factories that inherit a tensor's device, mentions in comments and strings
        assertEquals(List.of(), violations("Tensor t = Torch.zeros(model.device(), shape);"));
        assertEquals(List.of(), violations("a = torch.zeros_like(x); b = x.new_zeros(n); c = torch.rand_like(x);"));
        assertEquals(List.of(), violations("// torch.zeros(shape) was here\n/* torch.ones(2)\n */ String s = \"torch.empty(3)\";"));
        assertEquals(List.of(), violations("String s = \"\"\"\n    torch.zeros(shape)\n    \"\"\"; char c = '\"';"));
    }

    /** "line: text" for every factory call outside comments and string literals. */
    static List<String> violations(String source) {
        String code = SourceCode.withoutCommentsAndStrings(source);
        String[] lines = code.split("\n", -1), original = source.split("\n", -1);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            for (Pattern p : List.of(LIBTORCH_FACTORY, HOST_FACTORY)) {
                Matcher m = p.matcher(lines[i]);
                while (m.find()) {
                    out.add((i + 1) + ": " + original[i].strip());
                }
            }
        }
        return out;
    }
}
