package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.crate4j.model.ClassifierParityTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --model} beside our safetensors, which say what they are: every command refuses a name
 * that is no preset of the file's family, and warns (the file wins) about a preset of another shape.
 */
class NamedPresetCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void everyCommandRefusesAnUnknownModelAndLetsTheFileWinOverAnotherPreset() throws Exception {
        Path st = tmp.resolve("c.safetensors");
        assertEquals(0, CliTest.run("convert", ClassifierParityTest.fixture("crate_main_module.pth").toString(), st.toString(), "--heads", "4").code());
        Path mae = MaeCommandsTest.tinyMae(tmp.resolve("m.safetensors"), 8, 1);
        Path img = tmp.resolve("x.png");
        ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB), "png", img.toFile());
        String c = st.toString(), m = mae.toString(), out = tmp.resolve("o").toString();
        String[][] unknown = {
                {"predict", "--weights", c, img.toString()},
                {"eval", "--weights", c, "--data", tmp.toString()},
                {"info", "--weights", c},
                {"layerwise", "--weights", c, "--data", tmp.toString(), "--out", out},
                {"attention", "--weights", c, "--out", out, img.toString()},
                {"reconstruct", "--weights", m, "--out", out, img.toString()},
                {"linear-probe", "--weights", m, "--data", tmp.toString()},
                {"convert", c, tmp.resolve("c2.safetensors").toString()}};
        for (String[] args : unknown) {
            CliTest.Run r = CliTest.run(DataIntegrityCommandsTest.with(args, "--model", "crate-tinny"));
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            assertTrue(r.err().strip().startsWith("crate: unknown model 'crate-tinny': choose one of crate-"), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        CliTest.Run family = CliTest.run("reconstruct", "--weights", m, "--model", "crate-tiny", "--out", out, img.toString());
        assertEquals(2, family.code());
        assertTrue(family.err().startsWith("crate: --model crate-tiny is a CRATE classifier preset but " + m + " is a CRATE-MAE"), family.err());

        CliTest.Run plain = CliTest.run("predict", "--weights", c, "--json", img.toString());
        CliTest.Run other = CliTest.run("predict", "--weights", c, "--json", "--model", "crate-small", img.toString());
        assertEquals(0, other.code(), other.err());
        assertEquals(plain.out(), other.out(), "the file's own architecture is used");
        assertTrue(other.err().contains("WARN --model crate-small (dim 576, depth 12, 12 heads of width 48, patch 16) is not what " + c
                + " says it is (dim 32, depth 2, 4 heads of width 8, patch 4): the file wins, --model is ignored"), other.err());
        CliTest.Run mine = CliTest.run("reconstruct", "--weights", m, "--model", "crate-mae-base", "--out", out, img.toString());
        assertEquals(0, mine.code(), mine.err());
        assertTrue(mine.err().contains("WARN --model crate-mae-base (") && mine.err().contains("the file wins"), mine.err());
        assertFalse(plain.err().contains("WARN"), plain.err());
    }
}
