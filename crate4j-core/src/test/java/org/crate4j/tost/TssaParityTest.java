package org.crate4j.tost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.checkpoint.TorchCheckpoint;
import org.crate4j.engine.Torch;
import org.crate4j.model.CausalTssa;
import org.crate4j.model.ParameterKind;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.Parameters;
import org.crate4j.model.Tssa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TSSA and its causal form against PyTorch (fixtures of make_tost_fixtures.py, in the reference's
 * key layouts), and the causal form's cumulative sums against a direct O(n²) evaluation.
 */
public class TssaParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"tssa_bias", "tssa_nobias"})
    void tssaMatchesPyTorch(String name) {
        Torch.init();
        Safetensors.Contents exp = Fixtures.expected(name);
        JsonObject cfg = Fixtures.config(exp);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Parameters p = parameters(name);
            assertEquals(cfg.get("qkv_bias").getAsBoolean(), p.has("qkv.bias"));
            specsMatch(Tssa.specs("", cfg.get("dim").getAsInt(), cfg.get("heads").getAsInt(), cfg.get("qkv_bias").getAsBoolean()), p);
            Tssa.Output out = new Tssa(p, "", cfg.get("heads").getAsInt(), 0, 0).apply(Fixtures.tensor(exp.tensors(), "input"), false);
            Fixtures.assertClose(name + " w", exp.tensors().get("projections"), out.projections());
            Fixtures.assertClose(name + " Π", exp.tensors().get("pi"), out.pi());
            Fixtures.assertClose(name + " output", exp.tensors().get("output"), out.out());
            // Π is a distribution over the heads for every token
            assertTrue(Fixtures.maxDiff(out.pi().sum(new long[] {1}, false, new ScalarTypeOptional()),
                    torch.ones(out.pi().size(0), out.pi().size(2))) < 1e-6);
        }
    }

    @Test
    void causalTssaMatchesPyTorch() {
        Torch.init();
        Safetensors.Contents exp = Fixtures.expected("tssa_causal");
        JsonObject cfg = Fixtures.config(exp);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Parameters p = parameters("tssa_causal");
            specsMatch(CausalTssa.specs("", cfg.get("dim").getAsInt(), cfg.get("heads").getAsInt(), cfg.get("block_size").getAsInt(), true), p);
            Tssa.Output out = new CausalTssa(p, "", cfg.get("heads").getAsInt(), 0).apply(Fixtures.tensor(exp.tensors(), "input"), false);
            Fixtures.assertClose("causal w", exp.tensors().get("projections"), out.projections());
            Fixtures.assertClose("causal Π", exp.tensors().get("pi"), out.pi());
            Fixtures.assertClose("causal output", exp.tensors().get("output"), out.out());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 6, 16})
    void causalCumulativeSumsEqualDirectQuadraticEvaluation(int tokens) {
        Torch.seed(tokens);
        int dim = 12, heads = 3, block = 16;
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Parameters p = randomCausal(dim, heads, block);
            Tensor x = torch.randn(2, tokens, dim);
            Tensor fast = new CausalTssa(p, "", heads, 0).apply(x, false).out();
            Tensor direct = directCausal(p, x, heads);
            double diff = Fixtures.maxDiff(fast, direct);
            assertTrue(diff < 1e-5, "running sums differ from the direct evaluation by " + diff);
        }
    }

    @Test
    void causalOutputsIgnoreLaterTokens() {
        Torch.seed(3);
        int dim = 8, heads = 2, t = 10, cut = 4;
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Parameters p = randomCausal(dim, heads, t);
            Tensor x = torch.randn(1, t, dim);
            Tensor changed = x.clone();
            changed.narrow(1, cut, t - cut).copy_(torch.randn(1, t - cut, dim));
            CausalTssa step = new CausalTssa(p, "", heads, 0);
            Tensor a = step.apply(x, false).out(), b = step.apply(changed, false).out();
            assertTrue(Fixtures.maxDiff(a.narrow(1, 0, cut), b.narrow(1, 0, cut)) == 0.0, "tokens before the cut changed");
            assertTrue(Fixtures.maxDiff(a.narrow(1, cut, t - cut), b.narrow(1, cut, t - cut)) > 1e-3, "later tokens did not change");
        }
    }

    @Test
    void causalLastMembershipEqualsFullTssaWithoutPositionBias() {
        // at the last position the running energy is the whole sequence's, so with denom_bias = 0 the
        // causal form's last Π is TSSA's (its moment differs: earlier Π saw only their prefixes)
        Torch.seed(5);
        int dim = 12, heads = 4, t = 7;
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Parameters causal = randomCausal(dim, heads, t);
            causal.get("denom_bias").zero_();
            Map<String, Tensor> full = new LinkedHashMap<>();
            full.put("temp", causal.get("temp"));
            full.put("qkv.weight", causal.get("c_attn.weight"));
            full.put("qkv.bias", causal.get("c_attn.bias"));
            full.put("to_out.0.weight", causal.get("c_proj.weight"));
            full.put("to_out.0.bias", causal.get("c_proj.bias"));
            Tensor x = torch.randn(3, t, dim);
            Tensor last = new CausalTssa(causal, "", heads, 0).apply(x, false).pi().narrow(2, t - 1, 1);
            Tensor ref = new Tssa(Parameters.of(full), "", heads, 0, 0).apply(x, false).pi().narrow(2, t - 1, 1);
            assertTrue(Fixtures.maxDiff(last, ref) < 1e-6);
            Tensor first = new CausalTssa(causal, "", heads, 0).apply(x, false).pi().narrow(2, 0, 1);
            assertTrue(Fixtures.maxDiff(first, new Tssa(Parameters.of(full), "", heads, 0, 0).apply(x, false).pi().narrow(2, 0, 1)) > 1e-4,
                    "the first token's Π sees only itself in the causal form");
        }
    }

    @Test
    void causalRefusesSequencesBeyondTheBlockSize() {
        Torch.seed(1);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Parameters p = randomCausal(8, 2, 4);
            CrateException e = assertThrows(CrateException.class, () -> new CausalTssa(p, "", 2, 0).apply(torch.randn(1, 5, 8), false));
            assertTrue(e.getMessage().contains("block size 4"), e.getMessage());
        }
    }

    @Test
    void specsCarryKindsAndTheReferenceNames() {
        List<ParameterSpec> s = Tssa.specs("blocks.3.attn.", 48, 6, true);
        assertEquals(List.of("blocks.3.attn.temp", "blocks.3.attn.qkv.weight", "blocks.3.attn.qkv.bias",
                "blocks.3.attn.to_out.0.weight", "blocks.3.attn.to_out.0.bias"), s.stream().map(ParameterSpec::name).toList());
        assertEquals(ParameterKind.TEMPERATURE, s.get(0).kind());
        assertEquals("[6, 1]", java.util.Arrays.toString(s.get(0).shape()));
        assertTrue(!s.get(0).kind().decays() && s.get(1).kind().decays() && !s.get(2).kind().decays());
        assertThrows(CrateException.class, () -> Tssa.specs("", 48, 5, true));
    }

    /**
     * Causal TSSA evaluated token by token from its definition: token t's statistics are sums over
     * tokens 0..t, recomputed from scratch for every t (O(n²)), with no cumulative sum.
     */
    private static Tensor directCausal(Parameters p, Tensor x, int heads) {
        long b = x.size(0), n = x.size(1), d = x.size(2);
        Tensor w = torch.linear(x, p.get("c_attn.weight"), new org.bytedeco.pytorch.TensorOptional(p.get("c_attn.bias")))
                .view(b, n, heads, d / heads).transpose(1, 2);
        Tensor sq = w.square();
        Tensor[] pis = new Tensor[(int) n];
        for (int t = 0; t < n; t++) {
            Tensor energy = sq.narrow(2, 0, t + 1).sum(new long[] {2}, false, new ScalarTypeOptional()).clamp_min(new Scalar(1e-12));
            Tensor share = sq.select(2, t).div(energy).add(p.get("denom_bias").select(1, t));   // (B, h, k)
            pis[t] = torch.softmax(share.sum(new long[] {-1}, false, new ScalarTypeOptional()).mul(p.get("temp").squeeze(1)), 1);
        }
        Tensor pi = torch.stack(new org.bytedeco.pytorch.TensorVector(pis), 2);                   // (B, h, n)
        Tensor[] outs = new Tensor[(int) n];
        for (int t = 0; t < n; t++) {
            Tensor weights = pi.narrow(2, 0, t + 1);
            Tensor moment = weights.unsqueeze(-1).mul(sq.narrow(2, 0, t + 1)).sum(new long[] {2}, false, new ScalarTypeOptional())
                    .div(weights.sum(new long[] {2}, false, new ScalarTypeOptional()).add(new Scalar(1e-8)).unsqueeze(-1));
            outs[t] = w.select(2, t).mul(pi.select(2, t).unsqueeze(-1)).div(moment.add(new Scalar(1.0))).neg();  // (B, h, k)
        }
        Tensor o = torch.stack(new org.bytedeco.pytorch.TensorVector(outs), 2);                   // (B, h, n, k)
        Tensor merged = o.transpose(1, 2).reshape(b, n, d);
        return torch.linear(merged, p.get("c_proj.weight"), new org.bytedeco.pytorch.TensorOptional(p.get("c_proj.bias")));
    }

    private static Parameters randomCausal(int dim, int heads, int block) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("temp", torch.randn(heads, 1).mul(new Scalar(0.5)).add(new Scalar(1.0)));
        t.put("denom_bias", torch.randn(heads, block, 1).mul(new Scalar(0.2)));
        t.put("c_attn.weight", torch.randn(dim, dim).div(new Scalar(Math.sqrt(dim))));
        t.put("c_attn.bias", torch.randn(dim).mul(new Scalar(0.1)));
        t.put("c_proj.weight", torch.randn(dim, dim).div(new Scalar(Math.sqrt(dim))));
        t.put("c_proj.bias", torch.randn(dim).mul(new Scalar(0.1)));
        return Parameters.of(t);
    }

    private static Parameters parameters(String name) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, RawTensor> e : TorchCheckpoint.readStateDict(Fixtures.path(name + ".pth")).entrySet()) {
            t.put(e.getKey(), Fixtures.tensor(e.getValue()));
        }
        return Parameters.of(t);
    }

    private static void specsMatch(List<ParameterSpec> specs, Parameters p) {
        assertEquals(specs.stream().map(ParameterSpec::name).sorted().toList(), p.names().stream().sorted().toList());
        for (ParameterSpec s : specs) {
            assertEquals(java.util.Arrays.toString(s.shape()), java.util.Arrays.toString(Torch.shape(p.get(s.name()))), s.name());
        }
    }
}
