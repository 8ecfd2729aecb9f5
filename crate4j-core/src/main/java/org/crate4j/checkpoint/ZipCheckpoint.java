package org.crate4j.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.crate4j.CrateException;

/**
 * The zip layout of torch.save since PyTorch 1.6: {@code <root>/data.pkl}, one raw storage per key at
 * {@code <root>/data/<key>}, {@code <root>/version} and, in newer files, {@code <root>/byteorder}.
 * The root folder is named after the file or "archive", so it is found rather than assumed.
 */
final class ZipCheckpoint implements TorchStorage.Source {
    private static final long MAX_PICKLE_BYTES = 256L << 20; // real data.pkl files are kilobytes; this only stops zip bombs

    private final ZipFile zip;
    private final String where;
    private final String root;
    private final boolean bigEndian;

    private ZipCheckpoint(ZipFile zip, String where, String root, boolean bigEndian) {
        this.zip = zip;
        this.where = where;
        this.root = root;
        this.bigEndian = bigEndian;
    }

    static Object read(Path file, String where, Policy policy) {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (IOException e) {
            throw new CrateException(where + " is not a complete zip archive (" + e.getMessage()
                    + "); the file is truncated or corrupt: re-download or re-save it", e);
        }
        try (zip) {
            ZipEntry pickle = findDataPickle(zip, where);
            String root = pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
            ZipCheckpoint checkpoint = new ZipCheckpoint(zip, where, root, isBigEndian(zip, root, where));
            byte[] bytes = checkpoint.entryBytes(pickle, MAX_PICKLE_BYTES);
            TorchGlobals globals = new TorchGlobals(where, policy, checkpoint, true);
            return new Unpickler(PickleInput.of(where, bytes), globals, where).load();
        } catch (IOException e) {
            throw new CrateException(where + ": cannot read the zip archive (" + e.getMessage()
                    + "); the file is truncated or corrupt: re-download or re-save it", e);
        }
    }

    private static ZipEntry findDataPickle(ZipFile zip, String where) {
        ZipEntry best = null;
        List<String> names = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
            ZipEntry entry = e.nextElement();
            String name = entry.getName();
            if (names.size() < 5) {
                names.add(name);
            }
            boolean isPickle = name.equals("data.pkl") || name.endsWith("/data.pkl");
            if (isPickle && (best == null || name.length() < best.getName().length())) {
                best = entry;
            }
        }
        if (best == null) {
            throw new CrateException(where + ": zip archive has no data.pkl (entries start " + names
                    + "); it is not a torch.save checkpoint: re-save it with torch.save(model.state_dict(), path)");
        }
        return best;
    }

    private static boolean isBigEndian(ZipFile zip, String root, String where) throws IOException {
        ZipEntry entry = zip.getEntry(root + "byteorder");
        if (entry == null) {
            return false; // files without the record were written little-endian
        }
        String order;
        try (InputStream in = zip.getInputStream(entry)) {
            order = new String(in.readNBytes(16), StandardCharsets.US_ASCII).trim();
        }
        return switch (order) {
            case "little" -> false;
            case "big" -> true;
            default -> throw new CrateException(where + ": byteorder record says '" + PythonText.abbreviate(order)
                    + "', expected 'little' or 'big'; the file is corrupt");
        };
    }

    @Override
    public void check(TorchStorage storage) {
        ZipEntry entry = storageEntry(storage);
        long declared;
        try {
            declared = Math.multiplyExact(storage.numel(), (long) storage.dtype().byteSize());
        } catch (ArithmeticException e) {
            declared = Long.MAX_VALUE;
        }
        if (entry.getSize() < 0 || declared > entry.getSize()) {
            throw new CrateException(where + ": storage '" + storage.key() + "' declares " + storage.numel() + " elements of "
                    + storage.dtype() + " (" + declared + " bytes) but " + entry.getName() + " holds " + entry.getSize()
                    + " bytes; the file is truncated or was edited: re-download or re-save it");
        }
    }

    @Override
    public byte[] read(TorchStorage storage, long from, int length) {
        ZipEntry entry = storageEntry(storage);
        try (InputStream in = zip.getInputStream(entry)) {
            in.skipNBytes(from);
            byte[] data = in.readNBytes(length);
            if (data.length != length) {
                throw new CrateException(where + ": " + entry.getName() + " ends after " + (from + data.length)
                        + " bytes, expected " + (from + length) + "; the file is truncated: re-download or re-save it");
            }
            if (bigEndian) {
                TensorView.swapBytes(data, storage.dtype().byteSize());
            }
            return data;
        } catch (IOException e) {
            throw new CrateException(where + ": cannot read " + entry.getName() + " (" + e.getMessage()
                    + "); the file is truncated or corrupt: re-download or re-save it", e);
        }
    }

    private ZipEntry storageEntry(TorchStorage storage) {
        ZipEntry entry = zip.getEntry(root + "data/" + storage.key());
        if (entry == null) {
            throw new CrateException(where + ": storage '" + storage.key() + "' has no entry " + root + "data/"
                    + storage.key() + " in the archive; the file is incomplete: re-download or re-save it");
        }
        return entry;
    }

    private byte[] entryBytes(ZipEntry entry, long limit) throws IOException {
        if (entry.getSize() > limit) {
            throw new CrateException(where + ": " + entry.getName() + " is " + entry.getSize() + " bytes, over crate4j's "
                    + limit + "-byte limit for the pickle; the file is corrupt or not a state dict");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readNBytes((int) (entry.getSize() < 0 ? limit : entry.getSize()));
        }
    }
}
