package org.crate4j;

/**
 * The one user-facing error of crate4j. Its message is a single line that names the problem
 * (file, key, expected vs found) and, where there is one, the fix. The CLI prints the message
 * and exits with code 2; {@code --verbose} adds the stack trace.
 */
public class CrateException extends RuntimeException {
    public CrateException(String message) {
        super(message);
    }

    public CrateException(String message, Throwable cause) {
        super(message, cause);
    }
}
