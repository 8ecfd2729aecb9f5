package org.crate4j.model;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

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

    public long count() {
        long n = 0;
        for (Tensor t : byName.values()) {
            n += t.numel();
        }
        return n;
    }
}
