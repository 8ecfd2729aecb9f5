package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;

/** A failure is one line on stderr whatever its message holds; libtorch's native frames only under --verbose. */
class ErrorReportTest {
    /** What libtorch's errors look like through JavaCPP: the message, then where it was raised and the C++ stack. */
    static final String NATIVE = "Expected all tensors to be on the same device\n"
            + "Exception raised from check at /pytorch/aten/src/ATen/TensorUtils.cpp:123 (most recent call first):\n"
            + "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0xac (0x7f in libc10.so)\n"
            + "frame #1: <unknown function> + 0x6c9237f (0x7f in libtorch_cpu.so)\n";

    record Report(int code, String err) {}

    static Report report(Exception e, boolean verbose) {
        StringWriter s = new StringWriter();
        int code = Main.report(e, new PrintWriter(s, true), verbose);
        return new Report(code, s.toString());
    }

    @Test
    void aNativeErrorIsOneLineWithoutVerbose() {
        Report r = report(new RuntimeException(NATIVE), false);
        assertEquals(1, r.code());
        assertEquals("crate: internal error: java.lang.RuntimeException: Expected all tensors to be on the same device "
                + "(run with --verbose for the stack trace)\n", r.err());
    }

    @Test
    void aCrateExceptionQuotingANativeErrorIsOneLineToo() {
        Report r = report(new IllegalStateException("wrapped", new CrateException("rank 1: allreduce failed: " + NATIVE)), false);
        assertEquals(2, r.code());
        assertEquals("crate: rank 1: allreduce failed: Expected all tensors to be on the same device (run with --verbose for the rest)\n",
                r.err());
    }

    @Test
    void verboseShowsTheWholeMessageAndTheStack() {
        Report r = report(new RuntimeException(NATIVE), true);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("frame #1: <unknown function>") && r.err().contains("\tat org.crate4j.cli.ErrorReportTest"), r.err());
        Report one = report(new CrateException("a plain one-line problem"), false);
        assertEquals(new Report(2, "crate: a plain one-line problem\n"), one);
    }
}
