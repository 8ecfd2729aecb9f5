package org.crate4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaePresets;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;

/** Devices, the models' own device, and the precisions' choice and autocast. */
class DeviceTest {
    @Test
    void devicesParseAndNameTheirIndex() {
        assertEquals(2, Device.parse(" CUDA:2 ").index());
        assertEquals(0, Device.parse("cuda").index());
        assertEquals(-1, Device.CPU.index());
        assertEquals(Device.CPU, Device.of(Torch.zeros(Device.CPU, 2)));
        assertThrows(CrateException.class, () -> Device.parse("cuda:x"));
    }

    @Test
    void cudaWithCpuNativesFailsInOneLineNamingTheCudaBuild() {
        assumeFalse(Natives.isCudaBuild(), "this build has the CUDA natives");
        CrateException e = assertThrows(CrateException.class, () -> Device.parse("cuda:0").require());
        assertEquals("--device cuda:0: these are libtorch's CPU natives; install the CUDA build, " + Device.CUDA_NATIVES
                + ", or use --device cpu", e.getMessage());
        assertSame(Device.CPU, Device.CPU.require());
    }

    @Test
    void modelsAreMadeOnTheirDeviceAndSayWhichItIs() {
        Torch.seed(3);
        Crate c = Crate.create(CrateConfig.of(8, 4, 1, 2, 16, 1, 2), Device.CPU);
        assertEquals(Device.CPU, c.device());
        assertSame(c, c.to(Device.CPU));
        for (Tensor p : c.parameters().tensors()) {
            assertEquals(Device.CPU, Device.of(p));
            assertTrue(p.requires_grad());
        }
        CrateMae m = CrateMae.create(MaePresets.get("crate-mae-fmnist"), Device.CPU);
        assertEquals(Device.CPU, m.device());
        assertEquals(Device.CPU, Device.of(m.randomNoise(2)));
    }

    @Test
    void autoPicksBf16WhereItIsFastFp16OnOlderGpusElseFp32() {
        assertEquals(Precision.BF16, Precision.auto(true, true, false));
        assertEquals(Precision.FP16, Precision.auto(true, false, false));
        assertEquals(Precision.BF16, Precision.auto(false, false, true));
        assertEquals(Precision.FP32, Precision.auto(false, false, false));
        assertEquals(Precision.cpuHasFastBf16() ? Precision.BF16 : Precision.FP32, Precision.parse("auto", Device.CPU));
        assertEquals(Precision.FP16, Precision.parse("fp16", Device.CPU));
        assertTrue(Precision.FP16.scalesLoss() && !Precision.BF16.scalesLoss() && !Precision.FP32.scalesLoss());
    }

    @Test
    void fp16AutocastRunsMatmulsInHalfOnTheCpuAndRestoresTheState() {
        try (PointerScope s = new PointerScope()) {
            Tensor x = Torch.randn(Device.CPU, 4, 8), w = Torch.randn(Device.CPU, 3, 8);
            Tensor y;
            try (Precision.Scope ac = Precision.FP16.enter(Device.CPU)) {
                y = torch.linear(x, w);
            }
            assertEquals(torch.ScalarType.Half.value, y.scalar_type().value);
            assertEquals(torch.ScalarType.Float.value, torch.linear(x, w).scalar_type().value, "autocast is off again");
            float[] half = Torch.toFloats(y), full = Torch.toFloats(torch.linear(x, w));
            for (int i = 0; i < full.length; i++) {
                assertEquals(full[i], half[i], 1e-2 * Math.max(1, Math.abs(full[i])), "fp16 keeps about 3 digits");
            }
        }
    }
}
