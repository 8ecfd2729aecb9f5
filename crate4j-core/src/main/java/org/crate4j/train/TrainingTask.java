package org.crate4j.train;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.data.BadFiles;
import org.crate4j.data.Batch;
import org.crate4j.engine.Device;
import org.crate4j.model.Parameters;

/**
 * What {@link TrainLoop} trains for: the model, the loss of a micro-batch, the end-of-epoch
 * evaluation and what a checkpoint holds. Classification ({@link ClassificationTask}) and masked
 * autoencoding ({@link MaskedAutoencodingTask}) are the two; everything else (schedule, budget,
 * accumulation, data parallelism, resume, checkpoints, listeners) is the loop's, shared.
 */
interface TrainingTask extends AutoCloseable {
    /** One micro-batch's mean loss (a scalar tensor, before any 1/K scaling) and its images classified right (NaN if none are). */
    record Loss(Tensor loss, double correct) {}

    /**
     * An end-of-epoch evaluation.
     *
     * @param metrics the row's evaluation columns (val_loss, …), in order
     * @param score   higher is better: a new best is written to {@code best.safetensors} (NaN: the task keeps no best)
     * @param images     how many images it saw
     * @param unreadable the files it left out because they could not be decoded (over all processes)
     */
    record Evaluated(Map<String, Double> metrics, double score, long images, BadFiles unreadable) {}

    TrainingListener.Task kind();

    CheckpointKind checkpointKind();

    /** The trained tensors: what the optimizer updates and the gradients are averaged over. */
    Parameters parameters();

    /** Every tensor a checkpoint holds (the trained ones and any fixed tables), by reference key. */
    Map<String, Tensor> checkpointTensors();

    /** The checkpoint's format and config entries. */
    Map<String, String> checkpointMetadata();

    Device device();

    /** Switches training behaviour (dropout) on or off. */
    void train(boolean on);

    /**
     * The loss of micro-batch {@code micro} of step {@code step}, on this process's share of it.
     * Draws whatever it draws (dropout, masks) from the generator the loop has just seeded for
     * that micro-batch.
     */
    Loss loss(Batch batch, long step, int micro);

    /**
     * Whether what a micro-batch draws (dropout) differs between processes, each seeding with its
     * rank; false when every process draws the same (masks of the whole global batch, of which each
     * keeps its rows).
     */
    default boolean drawsPerRank() { return true; }

    /**
     * Whether some parameter may get no gradient (CRATE-MAE's {@code decoder_embed}, trained in the
     * reference although its forward never applies it): data parallelism then leaves such a
     * parameter without a gradient on every process, as one process does.
     */
    default boolean leavesParametersUnused() { return false; }

    /** The mean loss of rows {@code start … start + count − 1} of one micro-batch, as {@link #loss} gives a whole one's. */
    interface RowsLoss {
        Loss of(int start, int count);
    }

    /**
     * Micro-batch {@code micro} of {@code step} prepared to be cut into row shards run on their own
     * threads ({@link org.crate4j.engine.ThreadShards#backward}), or null when it may not be (the
     * default). Called on the loop's thread, right after the micro-batch's seed: a task that draws
     * at random (masks) draws here, for all the rows at once, exactly as {@link #loss} would, and
     * each shard reads its rows of the draw.
     */
    default RowsLoss splitRows(Batch b, long step, int micro) {
        return null;
    }

    /** Which parameters weight decay shrinks, by key (null: the optimizer's name-and-rank rule). */
    default Predicate<String> decays() { return null; }

    /** Called before every optimizer step with the planned total (a classifier's patch dropout follows it). */
    default void beforeStep(long step, long total) {}

    /** Whether the current step is a cheap one (patch dropout on): the budget planner costs the two kinds apart. */
    default boolean cheapStep() { return false; }

    /** How much more a full step costs than a cheap one before both are measured (1: no cheap steps). */
    default double cheapRatio() { return 1; }

    /** The end-of-epoch evaluation, over all processes (each evaluates its share). */
    Evaluated evaluate();

    /** Images the evaluation sees (for the budget's estimate of its cost). */
    long evaluationImages();

    /** Rank 0's extra outputs at the end of an epoch (e.g. a reconstruction sheet). */
    default void afterEpoch(Path outDir) {}

    /** The last evaluation as the run's final figures (the {@link TrainingListener.End} record's). */
    Map<String, Double> finalMetrics(Evaluated last, double lastTrainLoss);

    /**
     * Fails with one line unless {@code file}'s architecture is this task's model's; otherwise
     * copies its weights into the model (the loop restores optimizer, scaler and position).
     */
    void restore(Path file);

    @Override
    default void close() {}
}
