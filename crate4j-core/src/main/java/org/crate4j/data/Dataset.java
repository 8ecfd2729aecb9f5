package org.crate4j.data;

import java.util.List;

/** Indexed labelled images; implementations must allow concurrent calls to {@link #image(int)}. */
public interface Dataset {
    int size();

    /** Decoded image; may throw CrateException for a bad file. */
    Image image(int index);

    int label(int index);

    /** Where an entry comes from, for messages that name a bad one: its file, if it has one. */
    default String source(int index) {
        return "entry " + index;
    }

    /** Class names; size() = number of classes. */
    List<String> classes();

    /** Channels of the images (decodes the first one unless overridden). */
    default int channels() {
        if (size() == 0) {
            throw new IllegalStateException("empty dataset has no channel count");
        }
        return image(0).channels();
    }
}
