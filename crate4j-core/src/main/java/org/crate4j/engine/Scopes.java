package org.crate4j.engine;

import java.util.function.Supplier;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Frees intermediate tensors as soon as a block is done, the way Python's reference counting
 * does. Without it every intermediate of a step lives until the step's scope closes: memory
 * peaks several times higher and every allocation touches fresh pages (slow on VMs).
 */
public final class Scopes {
    private Scopes() {}

    /**
     * Runs {@code body} in its own scope; everything it created is released when it returns,
     * except its result, which moves to the enclosing scope (or to the GC when there is none).
     * Tensors autograd saved stay alive through libtorch's own reference counts.
     */
    public static <T extends Pointer> T keep(Supplier<T> body) {
        PointerScope outer = PointerScope.getInnerScope();
        T out;
        try (PointerScope inner = new PointerScope()) {
            out = body.get();
            out.retainReference();
        }
        if (outer != null) {
            outer.attach(out);
            out.releaseReference();
        }
        return out;
    }

    /**
     * Hands tensors that were {@code retainReference()}d inside an inner scope to the scope now
     * innermost (or leaves them to the GC when there is none).
     */
    public static void adopt(Pointer... pointers) {
        PointerScope scope = PointerScope.getInnerScope();
        if (scope == null) {
            return;
        }
        for (Pointer p : pointers) {
            scope.attach(p);
            p.releaseReference();
        }
    }
}
