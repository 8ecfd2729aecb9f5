package org.crate4j.checkpoint;

import java.util.List;

/**
 * An inert stand-in for a Python object the reader does not interpret. Nothing is ever called:
 * {@code className} is the pickled global ("argparse.Namespace"), {@code args} what the pickle
 * would have passed to it, and {@code state} what it would have set afterwards (usually the
 * object's attribute dict; items added to an unknown dict or list subclass also land here).
 * A bare class or function reference has empty args and null state.
 */
public record PickledObject(String className, List<Object> args, Object state) {}
