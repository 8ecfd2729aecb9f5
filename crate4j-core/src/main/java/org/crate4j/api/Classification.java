package org.crate4j.api;

/**
 * One of the most probable classes of an image.
 *
 * @param index       the class index in the model's head
 * @param label       its name (from the weights' metadata or the labels given), else the index
 * @param probability softmax probability in [0, 1]
 */
public record Classification(int index, String label, double probability) {
    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%6.2f%%  %s", 100 * probability, label);
    }
}
