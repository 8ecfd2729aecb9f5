package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.model.CrateWeights;
import org.crate4j.model.MssaOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code crate train --mssa tied}: the paper's MSSA trained, stored, reported and refused when misspelt. */
class MssaOptionTest {
    @TempDir
    Path tmp;

    @Test
    void trainsTheTiedFormAndTheCheckpointSaysSo() throws Exception {
        Path data = CliTest.tinyImageFolder(tmp.resolve("data"));
        Path out = tmp.resolve("tied");
        CliTest.Run r = CliTest.run("train", "--data", data.toString(), "--model", "crate-fmnist", "--image-size", "20", "--patch", "4",
                "--mssa", "tied", "--epochs", "1", "--batch", "4", "--workers", "0", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        WeightsFile file = WeightsFile.read(out.resolve("last.safetensors"));
        assertEquals(MssaOutput.TIED, CrateWeights.configFor(file, CrateWeights.Options.defaults()).mssa());
        assertTrue(file.shapes().containsKey("transformer.layers.0.0.fn.scale"));
        assertFalse(file.shapes().containsKey("transformer.layers.0.0.fn.to_out.0.weight"));
        List<String> argv = new ArrayList<>();
        JsonParser.parseString(Files.readString(out.resolve("run.json"))).getAsJsonObject().getAsJsonArray("resolved_argv")
                .forEach(a -> argv.add(a.getAsString()));
        assertEquals("tied", argv.get(argv.indexOf("--mssa") + 1), "train --config run.json trains the same form again: " + argv);
        CliTest.Run info = CliTest.run("info", "--weights", out.resolve("last.safetensors").toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("MSSA: tied"), info.out());
    }

    @Test
    void anUnknownFormIsRefusedInOneLine() {
        CliTest.Run r = CliTest.run("train", "--mssa", "transposed", "--nproc", "1", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("crate: unknown MSSA form 'transposed': use free (a learned output projection, the reference's) "
                + "or tied (the paper's [U_1 … U_K])", r.err().strip());
        assertFalse(Files.exists(tmp.resolve("x")), "nothing written");
    }
}
