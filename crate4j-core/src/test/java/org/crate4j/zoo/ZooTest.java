package org.crate4j.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateWeights;
import org.crate4j.model.Fixtures;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.LoadOptions;
import org.crate4j.model.ParameterKind;
import org.crate4j.tost.Tost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ZooTest {
    @TempDir
    Path tmp;

    @Test
    void everyFamilysPresetsAreFoundByName() {
        assertEquals(Family.CRATE, Zoo.family("crate-base"));
        assertEquals(Family.CRATE, Zoo.family("crate-fmnist"));
        assertEquals(Family.CRATE_MAE, Zoo.family("crate-mae-base"));
        assertEquals(Family.CRATE_ALPHA, Zoo.family("CRATE-ALPHA-B16"));
        assertEquals(Family.VIT, Zoo.family("vit-small"));
        assertEquals(Family.TOST, Zoo.family("tost-cab-medium-24-p16"));
        CrateException e = assertThrows(CrateException.class, () -> Zoo.family("crate-huge"));
        assertTrue(e.getMessage().contains("crate-alpha-l14") && e.getMessage().contains("tost-fmnist"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"crate-alpha-b16, 72328936", "crate-alpha-b32, 73985512", "crate-alpha-l14, 253650920",
            "vit-tiny, 5717416", "vit-small, 22050664", "vit-base, 86567656",
            "tost-cab-tiny-12-p16, 5769328", "tost-cab-small-12-p16, 22589944", "tost-cab-tiny-24-p16, 10223008",
            "tost-cab-small-24-p16, 40344664", "tost-cab-medium-24-p16, 71481064", "tost-cab-large-24-p16, 160286920"})
    void summariesCountParametersAsTheReferenceCodeDoes(String preset, long count) {
        PresetSummary s = Zoo.summary(preset);
        assertEquals(count, s.parameters());
        assertEquals(count, s.parts().values().stream().mapToLong(Long::longValue).sum(), "the parts add up to the total");
    }

    @ParameterizedTest
    @CsvSource({"alpha_plain.pth, CRATE_ALPHA", "alpha_one_head.pth, CRATE_ALPHA", "vit_plain.pth, VIT", "vit_nonsquare.pth, VIT",
            "tost_p16_full.pth, TOST", "tost_p8_nonsquare.pth, TOST", "mae_plain.pth, CRATE_MAE", "crate_one_head.pth, CRATE",
            "crate_main_module.pth, CRATE", "crate_demo.pth, CRATE"})
    void everyPublishedLayoutIsRecognisedInOnePlace(String file, Family family) {
        assertEquals(family, Zoo.recognise(MaeWeights.read(ClassifierParityTest.fixture(file)).file()));
    }

    @Test
    void crateAlphaIsNotTakenForACrateClassifierNorViTForCrateMae() {
        Path alpha = ClassifierParityTest.fixture("alpha_plain.pth");
        CrateException e = assertThrows(CrateException.class, () -> CrateWeights.load(alpha, CrateWeights.Options.defaults()));
        assertTrue(e.getMessage().contains("a CRATE-α checkpoint") && !e.getMessage().contains("\n"), e.getMessage());
        Path vit = ClassifierParityTest.fixture("vit_plain.pth");
        e = assertThrows(CrateException.class, () -> MaeWeights.load(vit, MaeWeights.Options.defaults()));
        assertTrue(e.getMessage().contains("a ViT checkpoint"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"alpha_plain, true", "alpha_nonsquare, true", "vit_plain, true", "vit_nonsquare, true", "tost_p16_ragged, false",
            "crate_one_head, true"})
    void oneLoaderGivesEveryFamilysLogits(String name, boolean sizesFromFixture) {
        Torch.init();
        Fixtures.Expected exp = Fixtures.expected(name);
        LoadOptions opt = sizesFromFixture ? LoadOptions.builder().heads(exp.integer("heads"))
                .image(exp.integer("height"), exp.integer("width")).build() : LoadOptions.defaults();
        ImageClassifier model = Zoo.load(ClassifierParityTest.fixture(name + ".pth"), opt, Device.CPU).train(false);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Fixtures.assertClose(name + " logits through Zoo.load", exp.get("logits"), model.forward(Fixtures.tensor(exp.get("images"))));
        }
    }

    @ParameterizedTest
    @CsvSource({"crate-fmnist, CRATE", "crate-alpha-fmnist, CRATE-α", "vit-fmnist, ViT", "tost-fmnist, ToST"})
    void createdModelsSaveAndLoadBackByTheirFormatTag(String preset, String familyName) throws Exception {
        Torch.seed(3);
        ImageClassifier model = Zoo.create(preset, new Zoo.Fit(1, 7, 0, -1), Device.CPU).train(false);
        assertEquals(familyName, model.familyName());
        assertEquals(7, model.sizes().numClasses());
        Path file = tmp.resolve(preset + ".safetensors");
        model.save(file, Map.of("source", "test"));
        WeightsFile written = WeightsFile.read(file);
        assertEquals(Zoo.family(preset), Zoo.recognise(written));
        assertEquals(Zoo.family(preset).kind(), CheckpointKind.of(written.shapes(), written.metadata()));
        ImageClassifier back = Zoo.load(file, LoadOptions.defaults(), Device.CPU).train(false);
        assertEquals(model.configJson(), back.configJson());
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ImageClassifier.Sizes s = model.sizes();
            Tensor x = Torch.rand(Device.CPU, 2, s.channels(), s.imageHeight(), s.imageWidth());
            Tensor a = model.forward(x), b = back.forward(x);
            assertEquals(0.0, a.sub(b).abs().max().item_double(), 0.0, "the same logits after a round trip");
            assertEquals(List.of(2L, (long) s.dim()), List.of(model.features(x).size(0), model.features(x).size(1)));
        }
        assertTrue(Files.size(file) > 0);
    }

    @Test
    void tostStateDictHoldsItsRunningStatisticsButItsParametersDoNot() {
        Tost model = (Tost) Zoo.create("tost-fmnist", Zoo.Fit.none(), Device.CPU);
        long statistics = model.stateDict().keySet().stream().filter(k -> model.kinds().get(k) == ParameterKind.STATISTIC).count();
        assertEquals(3 * 3, statistics, "three stem BatchNorms, each with mean, variance and batch count");
        assertEquals(model.stateDict().size() - statistics, model.parameters().names().size());
    }

    @Test
    void crateKindsDecayExactlyWhatTheNameRuleDecays() {
        Crate model = Crate.create(org.crate4j.model.Presets.get("crate-fmnist"));
        model.parameters().asMap().forEach((name, t) -> assertEquals(org.crate4j.train.Optimizer.decays(name, t),
                model.kinds().get(name).decays(), name));
    }

    @Test
    void aPresetOfAnotherFamilyThanTheFileIsRefusedInOneLine() {
        Path alpha = ClassifierParityTest.fixture("alpha_plain.pth");
        CrateException e = assertThrows(CrateException.class,
                () -> Zoo.load(alpha, LoadOptions.builder().preset("vit-base").build(), Device.CPU));
        assertTrue(e.getMessage().contains("crate-alpha-b16"), e.getMessage());
        CrateException mae = assertThrows(CrateException.class,
                () -> Zoo.load(ClassifierParityTest.fixture("mae_plain.pth"), LoadOptions.defaults(), Device.CPU));
        assertTrue(mae.getMessage().contains("CRATE-MAE"), mae.getMessage());
        assertThrows(CrateException.class, () -> Zoo.create("crate-mae-tiny", Zoo.Fit.none(), Device.CPU));
    }
}
