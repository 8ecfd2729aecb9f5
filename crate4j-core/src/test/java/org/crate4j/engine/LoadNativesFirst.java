package org.crate4j.engine;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Loads libtorch the safe way before any test runs, so no test can trigger JavaCPP's default
 * loading order (which links a system libtorch on a first run; see {@link Natives}).
 */
public final class LoadNativesFirst implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        Torch.init();
    }
}
