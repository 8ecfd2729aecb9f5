package org.crate4j.tost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Torch;

/** The ToST fixtures of tools/fixtures/make_tost_fixtures.py and the 1e-4 comparison. */
final class Fixtures {
    static final double TOL = 1e-4;

    private Fixtures() {}

    static Path path(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing fixture " + name + ": run tools/fixtures/make_tost_fixtures.py", e);
        }
    }

    static Safetensors.Contents expected(String name) {
        return Safetensors.read(path(name + ".expected.safetensors"));
    }

    static JsonObject config(Safetensors.Contents expected) {
        return JsonParser.parseString(expected.metadata().get("config")).getAsJsonObject();
    }

    static Tensor tensor(RawTensor raw) {
        return Torch.fromFloats(raw.toFloats(), raw.shape());
    }

    static Tensor tensor(Map<String, RawTensor> tensors, String name) {
        RawTensor raw = tensors.get(name);
        if (raw == null) {
            throw new IllegalStateException("fixture has no " + name);
        }
        return tensor(raw);
    }

    static void assertClose(String what, RawTensor expected, Tensor actual) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(Torch.shape(actual)), what + " shape");
        float[] e = expected.toFloats();
        float[] a = Torch.toFloats(actual);
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(e[i] - a[i]));
        }
        assertTrue(worst <= TOL, what + ": max |diff| " + worst + " > " + TOL);
    }

    static double maxDiff(Tensor a, Tensor b) {
        float[] x = Torch.toFloats(a), y = Torch.toFloats(b);
        assertEquals(x.length, y.length, "sizes");
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            worst = Math.max(worst, Math.abs(x[i] - y[i]));
        }
        return worst;
    }
}
