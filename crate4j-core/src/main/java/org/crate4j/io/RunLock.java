package org.crate4j.io;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.crate4j.CrateException;

/**
 * One writer per run folder. The holder keeps an operating-system lock on {@code .crate4j.lock}
 * in the folder, and writes its pid, host and start time into it for the message a second writer
 * gets. The kernel drops the lock when the holder dies, however it dies, so a lock left by a dead
 * process is simply taken over: only the text it left behind is stale.
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = ".crate4j.lock";
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final String previousHolder;

    private RunLock(Path file, FileChannel channel, FileLock lock, String previousHolder) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.previousHolder = previousHolder;
    }

    /** Takes the folder (created if needed) for this process, or fails with one line naming the holder. */
    public static RunLock acquire(Path dir, String what) {
        Path file = dir.resolve(FILE);
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process (another run in the same JVM)
            }
            String before = read(channel);
            if (lock == null) {
                channel.close();
                throw new CrateException(dir + " is in use by another " + what + " (" + describe(before)
                        + "): wait for it to finish, or choose another --out");
            }
            write(channel, holder(what));
            return new RunLock(file, channel, lock, before.isBlank() ? null : describe(before));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new CrateException("cannot lock run folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Who held the folder before us (a process that died without releasing it), or null. */
    public String previousHolder() {
        return previousHolder;
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(file); // while still locked: no second writer can slip in between
            lock.release();
        } catch (IOException ignored) {
            // the kernel releases the lock when the channel closes anyway
        } finally {
            closeQuietly(channel);
        }
    }

    private static String holder(String what) {
        JsonObject o = new JsonObject();
        o.addProperty("pid", ProcessHandle.current().pid());
        o.addProperty("host", hostName());
        o.addProperty("started", Instant.now().toString());
        o.addProperty("what", what);
        return new Gson().toJson(o);
    }

    static String describe(String json) {
        try {
            JsonObject o = new Gson().fromJson(json, JsonObject.class);
            return "pid " + o.get("pid").getAsLong() + " on " + o.get("host").getAsString() + ", since " + o.get("started").getAsString();
        } catch (RuntimeException e) {
            return "holder unknown";
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), 4096));
        ch.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    private static void write(FileChannel ch, String text) throws IOException {
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(false);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }
}
