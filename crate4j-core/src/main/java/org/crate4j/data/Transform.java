package org.crate4j.data;

import java.util.random.RandomGenerator;

/**
 * A per-sample image transformation. All randomness must come from {@code rng} so that a sample's
 * augmentation is reproducible; implementations must be thread-safe (stateless) and may return their
 * input unchanged or modify and return a fresh image, but must not mutate the input.
 */
@FunctionalInterface
public interface Transform {
    FloatImage apply(FloatImage img, RandomGenerator rng);
}
