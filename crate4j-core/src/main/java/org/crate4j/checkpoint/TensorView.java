package org.crate4j.checkpoint;

import java.util.Arrays;
import org.crate4j.CrateException;

/**
 * Turns torch's (storage, offset, size, stride) view into a contiguous {@link RawTensor}. This is
 * how transposed weights, slices and tensors sharing one storage come out as plain row-major data.
 * Every bound is checked before a byte is read or allocated.
 */
final class TensorView {
    /** Largest tensor a Java byte[] can hold, with headroom for the VM's array header. */
    static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 16;

    private TensorView() {}

    static RawTensor materialise(String where, TorchStorage storage, long offset, long[] size, long[] stride,
                                 TorchStorage.Source bytes) {
        String view = "tensor view of storage '" + storage.key() + "' (offset " + offset + ", size "
                + Arrays.toString(size) + ", stride " + Arrays.toString(stride) + ")";
        if (size.length != stride.length) {
            throw new CrateException(where + ": " + view + " has " + size.length + " sizes but " + stride.length
                    + " strides; the file is corrupt");
        }
        if (offset < 0 || Arrays.stream(size).anyMatch(d -> d < 0) || Arrays.stream(stride).anyMatch(s -> s < 0)) {
            throw new CrateException(where + ": " + view + " has a negative offset, size or stride; the file is corrupt");
        }
        int elementSize = storage.dtype().byteSize();
        long numel;
        long lastIndex = offset; // storage index of the view's last element
        try {
            numel = RawTensor.numel(size);
            for (int d = 0; d < size.length; d++) {
                if (size[d] > 0) {
                    lastIndex = Math.addExact(lastIndex, Math.multiplyExact(size[d] - 1, stride[d]));
                }
            }
            if (Math.multiplyExact(numel, (long) elementSize) > MAX_TENSOR_BYTES) {
                throw tooLarge(where, view, numel * elementSize);
            }
        } catch (ArithmeticException e) {
            throw new CrateException(where + ": " + view + " overflows 64-bit sizes; the file is corrupt", e);
        }
        if (numel == 0) {
            return new RawTensor(storage.dtype(), size, new byte[0]);
        }
        if (lastIndex >= storage.numel()) {
            throw new CrateException(where + ": " + view + " reaches element " + lastIndex + " but the storage declares only "
                    + storage.numel() + " elements; the file is corrupt or was edited");
        }
        long spanBytes = (lastIndex - offset + 1) * elementSize;
        if (spanBytes > MAX_TENSOR_BYTES) {
            throw tooLarge(where, view, spanBytes);
        }
        byte[] span = bytes.read(storage, offset * elementSize, (int) spanBytes);
        if (isContiguous(size, stride)) {
            return new RawTensor(storage.dtype(), size, span);
        }
        return new RawTensor(storage.dtype(), size, gather(span, size, stride, numel, elementSize));
    }

    /** Row-major strides, ignoring dimensions of size 1 whose stride torch leaves arbitrary. */
    private static boolean isContiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            if (size[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= size[d];
        }
        return true;
    }

    /** Walks the view's indices in row-major order, copying one element at a time. */
    private static byte[] gather(byte[] span, long[] size, long[] stride, long numel, int elementSize) {
        byte[] out = new byte[(int) (numel * elementSize)];
        int rank = size.length;
        long[] index = new long[rank];
        long source = 0; // element index into span
        for (int o = 0; o < out.length; o += elementSize) {
            System.arraycopy(span, (int) (source * elementSize), out, o, elementSize);
            for (int d = rank - 1; d >= 0; d--) {
                if (++index[d] < size[d]) {
                    source += stride[d];
                    break;
                }
                source -= (size[d] - 1) * stride[d];
                index[d] = 0;
            }
        }
        return out;
    }

    private static CrateException tooLarge(String where, String view, long bytes) {
        return new CrateException(where + ": " + view + " needs " + bytes + " bytes, over crate4j's 2 GiB limit for a "
                + "single tensor; split the tensor or convert the checkpoint to sharded safetensors");
    }

    /** Reverses each element's bytes, for storages a big-endian machine wrote. */
    static void swapBytes(byte[] data, int elementSize) {
        if (elementSize == 1) {
            return;
        }
        for (int e = 0; e < data.length; e += elementSize) {
            for (int i = 0, j = elementSize - 1; i < j; i++, j--) {
                byte t = data[e + i];
                data[e + i] = data[e + j];
                data[e + j] = t;
            }
        }
    }
}
