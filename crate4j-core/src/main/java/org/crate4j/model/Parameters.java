package org.crate4j.model;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * A model's trainable tensors by their reference state-dict key, in the reference's order.
 * The tensors are owned here (created outside any per-step scope) and updated in place.
 */
public final class Parameters {
    private final Map<String, Tensor> byName = new LinkedHashMap<>();

    /**
     * Parameters holding the given tensors, in the map's order (for model families outside this
     * package, e.g. CRATE-MAE). The tensors are retained and used as they are.
     */
    public static Parameters of(Map<String, Tensor> tensors) {
        Parameters p = new Parameters();
        tensors.forEach(p::put);
        return p;
    }

    void put(String name, Tensor t) {
        t.retainReference();
        byName.put(name, t);
    }

    public Tensor get(String name) {
        Tensor t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return t;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }

    public Collection<Tensor> tensors() {
        return Collections.unmodifiableCollection(byName.values());
    }

    public Map<String, Tensor> asMap() {
        return Collections.unmodifiableMap(byName);
    }

    /**
     * Moves every tensor to {@code device} in place (as {@code nn.Module.to} does): the tensor
     * objects stay the same, so whoever holds them (an optimizer, gradient hooks) holds the moved
     * ones. A gradient already there moves with its tensor.
     */
    public void moveTo(Device device) {
        moveTo(byName.values(), device);
    }

    /** {@link #moveTo(Device)} for any tensors (a model's fixed tables too). */
    public static void moveTo(Collection<Tensor> tensors, Device device) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor t : tensors) {
                Tensor moved = Torch.onDevice(t.detach(), device);
                Tensor grad = t.grad();
                t.set_data(moved);
                if (grad != null && grad.defined()) {
                    t.mutable_grad().put(Torch.onDevice(grad, device));
                }
            }
        }
    }

    public long count() {
        long n = 0;
        for (Tensor t : byName.values()) {
            n += t.numel();
        }
        return n;
    }
}
