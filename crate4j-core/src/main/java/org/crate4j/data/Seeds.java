package org.crate4j.data;

/** Stateless seed derivation, so any (seed, epoch, position) maps to the same random stream on any thread. */
final class Seeds {
    static final long PERMUTATION = 0x5045524d5554454cL;
    static final long SAMPLE = 0x53414d504c455321L;

    private Seeds() {}

    /** SplitMix64 finaliser: consecutive inputs give unrelated outputs. */
    static long scramble(long z) {
        z += 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    static long mix(long a, long b) {
        return scramble(scramble(a) ^ b);
    }

    static long sample(long seed, int epoch, int position) {
        return mix(mix(mix(seed, SAMPLE), epoch), position);
    }
}
