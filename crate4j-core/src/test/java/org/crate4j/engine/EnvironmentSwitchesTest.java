package org.crate4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;

/** The engine's environment variables: what they accept, and one line for anything else. */
class EnvironmentSwitchesTest {
    @Test
    void threadShardsReadsOnAndOffAndRefusesTheRest() {
        for (String on : new String[] {null, "1", "on", "TRUE"}) {
            assertTrue(ThreadShards.fromEnvironment(on), String.valueOf(on));
        }
        for (String off : new String[] {"0", "off", "False"}) {
            assertFalse(ThreadShards.fromEnvironment(off), off);
        }
        for (String bad : new String[] {"", "2", "maybe", " 0"}) {
            CrateException e = assertThrows(CrateException.class, () -> ThreadShards.fromEnvironment(bad), bad);
            assertEquals("CRATE4J_THREAD_SHARDS must be 0 or 1 (off or on), got '" + bad + "'", e.getMessage());
        }
    }

    @Test
    void blasThreadsIsAPositiveCount() {
        assertEquals(1, Torch.positive("CRATE4J_BLAS_THREADS", null, 1));
        assertEquals(4, Torch.positive("CRATE4J_BLAS_THREADS", "4", 1));
        for (String bad : new String[] {"0", "-2", "two", "", "1.5"}) {
            CrateException e = assertThrows(CrateException.class, () -> Torch.positive("CRATE4J_BLAS_THREADS", bad, 1), bad);
            assertEquals("CRATE4J_BLAS_THREADS must be a positive integer, got '" + bad + "'", e.getMessage());
        }
    }
}
