package org.crate4j.dist;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.crate4j.CrateException;

/**
 * A listening socket bound to the loopback address only, handed to c10d's TCPStore as its
 * {@code masterListenFd}. Why: the store's own server listens on every interface, and a job whose
 * master is 127.0.0.1 should not open a port to the network.
 *
 * <p>The descriptor is read through {@code sun.nio.ch.SelChImpl}, which needs the JVM flag
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} (the launcher and {@code ./crate} pass it).
 * Without it {@link #bind} returns empty and the store listens on all interfaces, as torchrun's does.
 */
final class LoopbackListener {
    /** Open channels are kept for the life of the process: c10d owns the descriptor now. */
    private static final List<ServerSocketChannel> KEPT = new ArrayList<>();

    private LoopbackListener() {}

    static synchronized OptionalInt bind(String host, int port) {
        java.lang.reflect.Method fdVal;
        try {
            fdVal = Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal");
        } catch (ReflectiveOperationException | RuntimeException e) {
            return OptionalInt.empty();
        }
        ServerSocketChannel ch = null;
        try {
            ch = ServerSocketChannel.open();
            ch.bind(new InetSocketAddress(host, port), 1024);
            int fd = (int) fdVal.invoke(ch);
            KEPT.add(ch);
            return OptionalInt.of(fd);
        } catch (BindException e) {
            close(ch);
            throw new CrateException("port " + port + " on " + host + " is in use (" + e.getMessage()
                    + "): pick another --master-port (MASTER_PORT)");
        } catch (IOException e) {
            close(ch);
            throw new CrateException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        } catch (ReflectiveOperationException | RuntimeException e) {
            close(ch); // not exported to us: let the store bind its own socket
            return OptionalInt.empty();
        }
    }

    private static void close(ServerSocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a socket that never listened
            }
        }
    }
}
