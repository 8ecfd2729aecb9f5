package org.crate4j.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/** One strict load of a family's parameters from a weights file: keys and shapes checked, values read or drawn by spec. */
public final class StrictLoad {
    private StrictLoad() {}

    /**
     * The tensors of {@code specs} from {@code file}, after a strict check of keys and shapes; with
     * {@code noHead} the keys starting with {@code headPrefix} are left out of the check and drawn
     * fresh by {@code draw}. Values are fp32 on the CPU, in the specs' order.
     */
    public static Map<String, Tensor> values(WeightsFile file, List<ParameterSpec> specs, String headPrefix, boolean noHead,
            String hint, Function<ParameterSpec, Tensor> draw) {
        Map<String, RawTensor> tensors = new LinkedHashMap<>(file.tensors());
        Map<String, long[]> expected = ParameterSpec.shapes(specs);
        if (noHead) {
            tensors.keySet().removeIf(k -> k.startsWith(headPrefix));
            expected.keySet().removeIf(k -> k.startsWith(headPrefix));
        }
        Map<String, long[]> found = new LinkedHashMap<>();
        tensors.forEach((k, v) -> found.put(k, v.shape()));
        StateDictCheck.requireExact(file.path().toString(), expected, found, hint);
        Map<String, Tensor> values = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (ParameterSpec s : specs) {
                RawTensor raw = tensors.get(s.name());
                values.put(s.name(), raw == null ? draw.apply(s) : Torch.floats(Device.CPU, raw.toFloats(), raw.shape()));
            }
        }
        return values;
    }
}
