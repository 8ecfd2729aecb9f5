package org.crate4j.io;

import java.nio.file.Path;

/** Holds a run folder's lock in a JVM of its own until killed (for RunLockTest). Argument: the folder. */
public final class RunLockHolder {
    private RunLockHolder() {}

    public static void main(String[] args) throws Exception {
        RunLock lock = RunLock.acquire(Path.of(args[0]), "test run");
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(120_000);
        lock.close();
    }
}
