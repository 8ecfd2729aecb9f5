package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Torch;

/** Reading the PyTorch parity fixtures and comparing against them, for every family's tests. */
public final class Fixtures {
    public static final double TOL = 1e-4;

    private Fixtures() {}

    /** A fixture's expected tensors and the config it was written with. */
    public record Expected(Map<String, RawTensor> tensors, JsonObject config) {
        public RawTensor get(String key) {
            RawTensor t = tensors.get(key);
            if (t == null) {
                throw new IllegalStateException("fixture has no tensor " + key);
            }
            return t;
        }

        public int integer(String key) {
            return config.get(key).getAsInt();
        }
    }

    public static Expected expected(String name) {
        Safetensors.Contents c = Safetensors.read(ClassifierParityTest.fixture(name + ".expected.safetensors"));
        return new Expected(c.tensors(), JsonParser.parseString(c.metadata().get("config")).getAsJsonObject());
    }

    public static Tensor tensor(RawTensor raw) {
        return Torch.fromFloats(raw.toFloats(), raw.shape());
    }

    /** Same shape, and no element further than {@link #TOL} from PyTorch's. */
    public static void assertClose(String what, RawTensor expected, Tensor actual) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(Torch.shape(actual)), what + " shape");
        float[] e = expected.toFloats();
        float[] a = Torch.toFloats(actual);
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(e[i] - a[i]));
        }
        assertTrue(worst <= TOL, what + ": max |diff| " + worst + " > " + TOL);
    }
}
