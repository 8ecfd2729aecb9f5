package org.crate4j.checkpoint;

/**
 * A storage a checkpoint declares through a persistent id ('storage', type, key, location, numel):
 * {@code numel} elements of {@code dtype} kept under {@code key}. Tensors are views into it.
 */
record TorchStorage(String key, DType dtype, long numel) {

    /** Where the raw bytes of storages live (zip entries, or regions of a legacy file). */
    interface Source {
        /** Fails unless the container really holds the declared storage; runs before anything is allocated. */
        void check(TorchStorage storage);

        /** {@code length} bytes of the storage starting at byte {@code from}, little-endian. */
        byte[] read(TorchStorage storage, long from, int length);
    }
}
