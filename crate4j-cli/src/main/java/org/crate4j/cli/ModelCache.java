package org.crate4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.crate4j.api.CrateModel;

/**
 * The models {@code crate serve} has loaded, the least recently used closed once more than
 * {@code capacity} are held. Work on one model takes turns (it holds the model's monitor, which
 * CrateModel's own methods and traces also take); different models may work at once.
 */
final class ModelCache implements AutoCloseable {
    private final int capacity;
    private final Function<Path, CrateModel> loader;
    private final LinkedHashMap<Path, CrateModel> models = new LinkedHashMap<>(16, 0.75f, true);

    ModelCache(int capacity, Function<Path, CrateModel> loader) {
        this.capacity = capacity;
        this.loader = loader;
    }

    /** Runs {@code work} on the model of {@code weights} (loaded on first use), alone on that model. */
    <T> T with(Path weights, Function<CrateModel, T> work) {
        while (true) {
            CrateModel m = get(weights);
            synchronized (m) {
                // evicted between get and here: its close() waits for this monitor, so it is still open; load it again
                if (holds(weights, m)) {
                    return work.apply(m);
                }
            }
        }
    }

    private CrateModel get(Path weights) {
        CrateModel evicted = null, m;
        synchronized (this) {
            m = models.get(weights);
            if (m == null) {
                m = loader.apply(weights); // a bad file throws here and nothing is cached
                models.put(weights, m);
                if (models.size() > capacity) {
                    Map.Entry<Path, CrateModel> eldest = models.entrySet().iterator().next();
                    evicted = eldest.getValue();
                    models.remove(eldest.getKey());
                }
            }
        }
        if (evicted != null) {
            evicted.close(); // waits for the work running on it
        }
        return m;
    }

    private synchronized boolean holds(Path weights, CrateModel m) {
        return models.get(weights) == m;
    }

    synchronized int size() {
        return models.size();
    }

    @Override
    public void close() {
        Map<Path, CrateModel> all;
        synchronized (this) {
            all = new LinkedHashMap<>(models);
            models.clear();
        }
        all.values().forEach(CrateModel::close);
    }
}
