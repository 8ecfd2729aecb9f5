package org.crate4j.model;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.engine.Device;
import org.crate4j.engine.Scopes;
import org.crate4j.engine.ThreadShards;
import org.crate4j.engine.Torch;

/**
 * What every classifier family holds alike: its config, its trainable tensors by reference key,
 * the device they live on, and the training flag. A family adds its blocks and its forward.
 * {@code S} is the family itself, so that {@code model.to(device).train(true)} keeps its type;
 * {@code C} is its config.
 */
public abstract class AbstractClassifier<S extends AbstractClassifier<S, C>, C extends ClassifierShape>
        implements ImageClassifier {
    protected final C config;
    private final Parameters params;
    private Device device;
    private boolean training;

    protected AbstractClassifier(C config, Parameters params, Device device) {
        this.config = config;
        this.params = params;
        this.device = device;
    }

    /** Around {@code params}, on the device of their first tensor (the CPU when there is none). */
    protected AbstractClassifier(C config, Parameters params) {
        this(config, params, params.tensors().isEmpty() ? Device.CPU : Device.of(params.tensors().iterator().next()));
    }

    public final C config() {
        return config;
    }

    @Override
    public Sizes sizes() {
        return config.sizes();
    }

    /** The trainable tensors by reference key: what an optimizer updates and what is counted. */
    @Override
    public final Parameters parameters() {
        return params;
    }

    /** Where the parameters live; every loop puts its inputs there. */
    @Override
    public final Device device() {
        return device;
    }

    @Override
    public final boolean isTraining() {
        return training;
    }

    @Override
    public S train(boolean on) {
        training = on;
        return self();
    }

    /** Each tensor's kind, from the config's specs: initialisation and weight decay follow it. */
    @Override
    public Map<String, ParameterKind> kinds() {
        return ImageClassifier.kindsOf(config.parameterSpecs());
    }

    /** Writes our safetensors ({@link FamilySafetensors}): the state dict, the format and config, then {@code metadata}. Atomic. */
    @Override
    public void save(Path path, Map<String, String> metadata) {
        FamilySafetensors.write(this, path, metadata);
    }

    /** Moves the tensors to {@code target} in place (before an optimizer is made for them). */
    @Override
    public final S to(Device target) {
        if (!target.equals(device)) {
            moveTensors(target);
            device = target;
        }
        return self();
    }

    /** Moves the parameters; a family with state beyond them (BatchNorm's statistics) moves that too. */
    protected void moveTensors(Device target) {
        params.moveTo(target);
    }

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    /** One layer of a family: its output for input {@code z}; with a non-null {@code trace} it appends its trace there. */
    protected interface Layer<T> {
        Tensor apply(int i, Tensor z, List<T> trace);
    }

    /**
     * Runs layers {@code 0 … depth − 1} from {@code z}, each in a scope of its own that keeps only
     * its output and, when tracing, the tensors of its trace ({@code kept}): memory stays one layer deep.
     */
    protected static <T> Tensor layers(Tensor z, int depth, List<T> trace, Layer<T> layer, Function<T, Tensor[]> kept) {
        for (int i = 0; i < depth; i++) {
            final int n = i;
            final Tensor in = z;
            z = Scopes.keep(() -> layer.apply(n, in, trace));
            if (trace != null) {
                Scopes.adopt(kept.apply(trace.get(trace.size() - 1)));
            }
        }
        return z;
    }

    /**
     * {@code body(images)}, its rows split over the threads ({@link ThreadShards}) when that changes
     * nothing but speed: an inference forward (no gradient, not training, so no dropout or batch
     * statistics) of a (B, channels, H, W) batch. Anything else runs whole, so that a wrong rank or
     * channel count is reported with the input's own shape.
     */
    protected final Tensor byRows(Tensor images, UnaryOperator<Tensor> body) {
        boolean rowwise = !training && images.dim() == 4 && images.size(1) == config.sizes().channels();
        return rowwise ? ThreadShards.inferenceRows(device, images, body) : body.apply(images);
    }

    /** The parameter under reference key {@code name}. */
    protected final Tensor p(String name) {
        return params.get(name);
    }

    /** A detached tensor that outlives the step's scope: what a trace keeps. */
    protected static Tensor retained(Tensor t) {
        Tensor d = t.detach();
        d.retainReference();
        return d;
    }

    /**
     * Fails with one line unless {@code images} are (B, channels, H, W), with H and W multiples of
     * {@code patch} when it is positive (a convolutional stem of another stride checks its own).
     */
    protected static void checkImages(Tensor images, String who, int channels, int patch) {
        if (images.dim() != 4 || images.size(1) != channels) {
            throw new CrateException(who + " expects images (B, " + channels + ", H, W), got " + Arrays.toString(Torch.shape(images)));
        }
        if (patch > 0 && (images.size(2) % patch != 0 || images.size(3) % patch != 0)) {
            throw new CrateException("image " + images.size(2) + "x" + images.size(3) + " is not divisible by the patch size " + patch);
        }
    }

    /** Trainable copies of {@code tensors}, one per spec in the specs' order (shapes already checked). */
    protected static Parameters trainable(List<ParameterSpec> specs, Map<String, Tensor> tensors, String family) {
        Map<String, Tensor> own = new LinkedHashMap<>();
        for (ParameterSpec s : specs) {
            Tensor t = tensors.get(s.name());
            if (t == null) {
                throw new CrateException("no tensor for " + family + " parameter " + s.name());
            }
            own.put(s.name(), t.detach().requires_grad_(true));
        }
        return Parameters.of(own);
    }
}
