package org.crate4j.viz;

/**
 * Puts AWT in headless mode before any drawing class loads, so PNGs render on servers and in CI
 * without a display (and no window system library is ever touched).
 */
final class Headless {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Headless() {}

    /** Calling this forces the static initialiser above to have run. */
    static void ensure() {}
}
