package org.crate4j.train;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * A training checkpoint in one safetensors file, written atomically: the weights under their
 * reference names (so {@code predict} and {@code convert} read it as a weights file), the
 * optimizer state under {@code optimizer/}, and the loop's position plus config as metadata.
 */
public final class TrainCheckpoint {
    private static final Gson GSON = new Gson();

    /**
     * Where the loop stands; enough to continue exactly. {@code globalBatch} is the per-process
     * batch × world size (0 in checkpoints written before data parallelism).
     */
    public record State(int epoch, int batchInEpoch, long globalStep, long totalSteps, long optimizerSteps,
            double bestTop1, String optimizer, int worldSize, long seed, int globalBatch) {}

    private TrainCheckpoint() {}

    public static void write(Path file, Map<String, Tensor> params, Optimizer opt, State state, Map<String, String> metadata) {
        createRunDirectory(file.toAbsolutePath().getParent());
        Map<String, RawTensor> out = new LinkedHashMap<>();
        params.forEach((k, t) -> out.put(k, raw(t)));
        opt.state().forEach((k, t) -> out.put(WeightsFile.OPTIMIZER_PREFIX + k, raw(t)));
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("train_state", GSON.toJson(state));
        Safetensors.write(file, out, meta);
    }

    public static State readState(Path file) {
        String json = Safetensors.read(file).metadata().get("train_state");
        if (json == null) {
            throw new CrateException(file + " is not a crate4j training checkpoint (no train_state): use it with --weights instead of --resume");
        }
        return GSON.fromJson(json, State.class);
    }

    /** Copies the saved optimizer state into {@code opt} (read to host memory; the optimizer puts each on its parameter's device). */
    public static void restoreOptimizer(Path file, Optimizer opt, State state) {
        Map<String, Tensor> saved = new LinkedHashMap<>();
        Safetensors.read(file).tensors().forEach((k, v) -> {
            if (k.startsWith(WeightsFile.OPTIMIZER_PREFIX)) {
                saved.put(k.substring(WeightsFile.OPTIMIZER_PREFIX.length()), Torch.floats(Device.CPU, v.toFloats(), v.shape()));
            }
        });
        opt.load(saved, state.optimizerSteps());
    }

    /**
     * Fails with one line unless {@code file} is there to resume from and holds a training
     * checkpoint of the family the run trains.
     */
    public static void requireResumable(Path file, CheckpointKind kind) {
        if (!Files.isRegularFile(file)) {
            throw new CrateException("--resume: no checkpoint at " + file + ": start without --resume or pass the run's --out");
        }
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> shapes.put(k, v.shape()));
        CheckpointKind found = CheckpointKind.of(shapes, c.metadata());
        if (found != kind) {
            throw new CrateException("--resume: " + file + " is " + found.label() + " checkpoint, not " + kind.label()
                    + " one: pass a new --out for this run");
        }
    }

    private static void createRunDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CrateException("cannot create the run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    public static boolean exists(Path file) {
        return Files.isRegularFile(file);
    }

    /** The file's copy of a tensor, wherever it lives (toFloats copies device tensors to the host). */
    private static RawTensor raw(Tensor t) {
        return RawTensor.ofFloats(Torch.toFloats(t), Torch.shape(t));
    }
}
