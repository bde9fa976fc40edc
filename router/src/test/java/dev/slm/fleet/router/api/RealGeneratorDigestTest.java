package dev.slm.fleet.router.api;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.router.testing.WorkerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A generator worker given the real SmolLM2-135M-Instruct file (as `make models` prepares it; `make test` runs that
 * first) with a pin that is not its digest: it never serves, says why, and is not restarted in a loop. Apart from
 * RealWorkerPipelineTest so that hashing the 149 MB file does not compete with that test's requests.
 */
class RealGeneratorDigestTest {

    static final Path SMOLLM2 = Path.of(System.getenv()
                    .getOrDefault("SLM_FLEET_CACHE", System.getProperty("user.home") + "/.cache/slm-fleet"))
            .resolve("models/smollm2-135m-instruct/model.onnx");

    @Test
    void aGeneratorWhoseModelFileDoesNotMatchItsDigestIsNotServingAndSaysWhy() throws Exception {
        if (!Files.isRegularFile(SMOLLM2)) {
            throw new IllegalStateException("the real generator is not prepared at " + SMOLLM2
                    + "; run `make models` (worker/scripts/prepare-models) once, then rerun the tests");
        }
        String wrong = "0".repeat(64);
        try (WorkerProcess bad = WorkerProcess.start(
                "it-generate-bad-digest",
                "generate",
                "-Dslm.worker.model.uri=file:" + SMOLLM2,
                "-Dslm.worker.model.sha256=" + wrong)) {
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> bad.awaitReady(Duration.ofSeconds(180)));
            assertTrue(e.getMessage().contains("\"FAILED\""), e.getMessage());
            assertTrue(e.getMessage().contains("refusing to serve"), e.getMessage());
            assertTrue(e.getMessage().contains(wrong), "names the pinned digest: " + e.getMessage());
            assertTrue(bad.alive(), "not serving, and no restart loop");
        }
    }
}
