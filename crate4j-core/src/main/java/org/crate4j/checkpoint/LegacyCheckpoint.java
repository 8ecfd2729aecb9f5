package org.crate4j.checkpoint;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;

/**
 * torch.save before PyTorch 1.6 (and with _use_new_zipfile_serialization=False): five pickles in a
 * row (magic number, protocol 1001, sys_info, the object, the list of storage keys) followed by each
 * storage as an 8-byte little-endian element count and its raw bytes. The object comes before the
 * bytes it refers to, so it is unpickled twice: a dry pass learns each storage's element type (to
 * step over the byte regions), the second pass builds the tensors.
 */
final class LegacyCheckpoint implements TorchStorage.Source {
    private static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long PROTOCOL = 1001;

    /** Where one storage's bytes sit in the file. */
    private record Region(long position, long numel) {}

    private final FileChannel channel;
    private final String where;
    private final Map<String, TorchStorage> declared = new HashMap<>();
    private final Map<String, Region> regions = new HashMap<>();

    private LegacyCheckpoint(FileChannel channel, String where) {
        this.channel = channel;
        this.where = where;
    }

    static Object read(Path file, String where, Policy policy) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return new LegacyCheckpoint(channel, where).read(policy);
        } catch (IOException e) {
            throw new CrateException(where + ": cannot read (" + e.getMessage() + "); check the file is readable", e);
        }
    }

    private Object read(Policy policy) throws IOException {
        PickleInput in = PickleInput.of(where, channel, 0);
        TorchGlobals plain = new TorchGlobals(where, Policy.STRICT, this, false);
        if (!MAGIC.equals(new Unpickler(in, plain, where).load())) {
            throw new CrateException(where + " is a pickle without torch's magic number; it is not a torch.save checkpoint: "
                    + "check the path");
        }
        Object protocol = new Unpickler(in, plain, where).load();
        if (!Long.valueOf(PROTOCOL).equals(protocol)) {
            throw new CrateException(where + ": legacy torch protocol " + protocol + " is not supported (expected "
                    + PROTOCOL + "); re-save the checkpoint with a current PyTorch");
        }
        new Unpickler(in, plain, where).load(); // sys_info: storages are little-endian whatever it says
        long objectStart = in.position();
        new Unpickler(in, new TorchGlobals(where, policy, this, false), where).load();
        Object keys = new Unpickler(in, plain, where).load();
        locateStorages(keys, in.position());
        PickleInput again = PickleInput.of(where, channel, objectStart);
        return new Unpickler(again, new TorchGlobals(where, policy, this, true), where).load();
    }

    private void locateStorages(Object keys, long position) throws IOException {
        if (!(keys instanceof List<?> list)) {
            throw new CrateException(where + ": legacy storage key list is missing; the file is truncated or corrupt");
        }
        long size = channel.size();
        for (Object k : list) {
            String key = PythonText.str(k);
            TorchStorage storage = declared.get(key);
            if (storage == null) {
                throw new CrateException(where + ": storage '" + key + "' is listed but no tensor declares its type; "
                        + "the file is corrupt");
            }
            long numel = readLong(position);
            long end;
            try {
                end = Math.addExact(position + 8, Math.multiplyExact(numel, (long) storage.dtype().byteSize()));
            } catch (ArithmeticException e) {
                end = -1;
            }
            if (numel < 0 || end < 0 || end > size) {
                throw new CrateException(where + ": storage '" + key + "' claims " + numel + " elements at byte " + position
                        + " but the file has " + size + " bytes; the file is truncated: re-download or re-save it");
            }
            regions.put(key, new Region(position + 8, numel));
            position = end;
        }
    }

    private long readLong(long position) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position()) < 0) {
                throw new CrateException(where + ": file ends inside the storage table at byte " + position
                        + "; the file is truncated: re-download or re-save it");
            }
        }
        return buf.getLong(0);
    }

    @Override
    public void check(TorchStorage storage) {
        Region region = regions.get(storage.key());
        if (region == null) { // dry pass: remember the type so the byte regions can be stepped over
            declared.putIfAbsent(storage.key(), storage);
            return;
        }
        long have = region.numel() * declared.get(storage.key()).dtype().byteSize();
        if (storage.numel() > have / storage.dtype().byteSize()) {
            throw new CrateException(where + ": storage '" + storage.key() + "' declares " + storage.numel() + " elements of "
                    + storage.dtype() + " but the file holds " + have + " bytes for it; the file is corrupt or was edited");
        }
    }

    @Override
    public byte[] read(TorchStorage storage, long from, int length) {
        Region region = regions.get(storage.key());
        ByteBuffer buf = ByteBuffer.allocate(length);
        try {
            while (buf.hasRemaining()) {
                if (channel.read(buf, region.position() + from + buf.position()) < 0) {
                    throw new CrateException(where + ": storage '" + storage.key() + "' ends early; the file is truncated");
                }
            }
        } catch (IOException e) {
            throw new CrateException(where + ": cannot read storage '" + storage.key() + "' (" + e.getMessage() + ")", e);
        }
        return buf.array();
    }
}
