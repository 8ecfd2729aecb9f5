package org.crate4j.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.StringVector;

/**
 * Names the rank that broke a collective. Every rank beats twice a second into the store, with the
 * number of collectives it has issued; when a collective fails (a peer's connection closed, or the
 * timeout passed) the survivor reads the beats twice: a rank whose beat stopped is dead or frozen,
 * a rank that beats but has issued fewer collectives is stuck elsewhere, and a rank that posted a
 * reason before leaving is quoted. If the store itself is gone, rank 0 (its host) is.
 */
final class PeerWatch implements AutoCloseable {
    private static final long BEAT_MS = 500;

    private final Store beatStore, lookStore;
    private final int rank, world;
    private final AtomicLong collectives = new AtomicLong();
    private final Thread beater;
    private volatile boolean running = true;

    PeerWatch(Store store, int rank, int world) {
        // own client connections: the beat must not queue behind a blocking store call of the main thread
        this.beatStore = store.clone();
        this.lookStore = store.clone();
        beatStore.retainReference();
        lookStore.retainReference();
        lookStore.setTimeout(new Milliseconds(3000));
        beatStore.setTimeout(new Milliseconds(3000));
        this.rank = rank;
        this.world = world;
        this.beater = new Thread(this::beat, "crate4j-heartbeat");
        beater.setDaemon(true);
    }

    void start() {
        beat(1);
        beater.start();
    }

    void collectiveStarted() {
        collectives.incrementAndGet();
    }

    long collectives() {
        return collectives.get();
    }

    private void beat() {
        long n = 1;
        while (running) {
            try {
                Thread.sleep(BEAT_MS);
                beat(++n);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                return; // the store is gone; the next collective will fail and say why
            }
        }
    }

    private void beat(long n) {
        beatStore.set("crate4j/beat/" + rank, n + ":" + collectives.get());
    }

    /** Explains a failed collective in words naming the culprit (takes about a second and a half). */
    synchronized String diagnose() {
        try {
            String posted = Rendezvous.postedFailure(lookStore, world, rank);
            if (posted != null) {
                return posted;
            }
            long[][] first = readBeats();
            Thread.sleep(3 * BEAT_MS);
            posted = Rendezvous.postedFailure(lookStore, world, rank);
            if (posted != null) {
                return posted;
            }
            long[][] second = readBeats();
            List<String> silent = new ArrayList<>();
            List<String> behind = new ArrayList<>();
            long mine = collectives.get();
            for (int r = 0; r < world; r++) {
                if (r == rank) {
                    continue;
                }
                if (second[r] == null || (first[r] != null && second[r][0] == first[r][0])) {
                    silent.add(String.valueOf(r));
                } else if (second[r][1] < mine) {
                    behind.add(r + " (at collective " + second[r][1] + ", this rank at " + mine + ")");
                }
            }
            if (!silent.isEmpty()) {
                return "rank" + (silent.size() > 1 ? "s " : " ") + String.join(", ", silent)
                        + " stopped responding (exited, killed or frozen)";
            }
            if (!behind.isEmpty()) {
                return "rank" + (behind.size() > 1 ? "s " : " ") + String.join(", ", behind)
                        + " is alive but stuck outside the collective";
            }
            return "no peer looks dead or stuck (a network problem between the ranks?)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while looking for the failed rank";
        } catch (RuntimeException e) {
            return rank == 0 ? "the rendezvous store failed (" + Rendezvous.firstLine(e) + ")"
                    : "rank 0 is gone (its rendezvous store does not answer)";
        }
    }

    /** Posts why this rank is leaving, so the others can say so (best effort). */
    void postFailure(String reason) {
        try {
            lookStore.set(Rendezvous.FAILED + rank, reason);
            lookStore.add(Rendezvous.FAILURES, 1);
        } catch (RuntimeException ignored) {
            // nothing more to do: the store is gone
        }
    }

    private long[][] readBeats() {
        long[][] beats = new long[world][];
        for (int r = 0; r < world; r++) {
            String key = "crate4j/beat/" + r;
            if (r != rank && lookStore.check(new StringVector(key))) {
                String[] v = lookStore.get_to_str(key).split(":");
                beats[r] = new long[] {Long.parseLong(v[0]), Long.parseLong(v[1])};
            }
        }
        return beats;
    }

    @Override
    public void close() {
        running = false;
        beater.interrupt();
        try {
            beater.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
