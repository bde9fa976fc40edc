package dev.slm.fleet.worker.serving;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;

/** One Quarkus test profile per worker configuration; each gets its own free loopback gRPC port. */
public final class WorkerTestProfiles {

    private WorkerTestProfiles() {}

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    abstract static class Base implements QuarkusTestProfile {
        private final Map<String, String> overrides;

        Base(Map<String, String> worker) {
            Map<String, String> m = new HashMap<>(worker);
            m.put("quarkus.grpc.server.test-port", String.valueOf(freePort()));
            overrides = Map.copyOf(m);
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return overrides;
        }
    }

    /** MiniLM few-shot intents; one inference thread and tiny queues so overload is easy to provoke. */
    public static class ClassifyIntent extends Base {
        public ClassifyIntent() {
            super(Map.of(
                    "slm.worker.task",
                    "classify-intent",
                    "slm.worker.task-config-file",
                    "src/test/resources/config/intents.json",
                    "slm.worker.model.sha256",
                    "sha256:afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1",
                    "slm.worker.model.quantization",
                    "int8",
                    "slm.worker.threads.workers",
                    "1",
                    "slm.worker.queue.sheddable",
                    "1",
                    "slm.worker.queue.standard",
                    "4",
                    "slm.worker.limits.max-input-bytes",
                    "256"));
        }
    }

    public static class Generate extends Base {
        public Generate() {
            super(Map.of(
                    "slm.worker.task",
                    "generate",
                    "slm.worker.model.uri",
                    "src/test/resources/models/tiny-lm.onnx",
                    "slm.worker.model.tokenizer-uri",
                    "src/test/resources/models/tiny-lm-tokenizer.json",
                    "slm.worker.model.sha256",
                    "8aea4ce7e73e930dec6529cf436277b89e667086a31b45f7e9131b8e5b97f73c",
                    "slm.worker.task-config-file",
                    "src/test/resources/config/generate.json"));
        }
    }

    public static class ExtractSlots extends Base {
        public ExtractSlots() {
            super(Map.of(
                    "slm.worker.task",
                    "extract-slots",
                    "slm.worker.model.uri",
                    "src/test/resources/models/slot-bio.onnx",
                    "slm.worker.model.tokenizer-uri",
                    "classpath:all-minilm-l6-v2-q-tokenizer.json",
                    "slm.worker.task-config-file",
                    "src/test/resources/config/slots.json"));
        }
    }

    /** The real prepared PII tagger (labels.json beside it) and the built-in extractors; batching on by default. */
    public static class PiiSlots extends Base {
        public PiiSlots() {
            super(Map.of(
                    "slm.worker.task",
                    "extract-slots",
                    "slm.worker.model.uri",
                    dev.slm.fleet.worker.TestModels.rampart().uri(),
                    "slm.worker.model.sha256",
                    dev.slm.fleet.worker.TestModels.RAMPART_SHA256,
                    "quarkus.log.category.\"dev.slm.fleet.worker.requests\".level",
                    "INFO"));
        }
    }

    public static class Embed extends Base {
        public Embed() {
            super(Map.of("slm.worker.task", "embed", "slm.worker.limits.max-batch", "4"));
        }
    }

    /** The pin does not match the builtin MiniLM: the worker must refuse to serve. */
    public static class DigestMismatch extends Base {
        public DigestMismatch() {
            super(Map.of(
                    "slm.worker.task",
                    "classify-intent",
                    "slm.worker.task-config-file",
                    "src/test/resources/config/intents.json",
                    "slm.worker.model.sha256",
                    "sha256:" + "0".repeat(64)));
        }
    }

    /** Asks for CUDA first on a machine (and an ONNX Runtime build) without it; policy fallback. */
    public static class CudaFallback extends Base {
        public CudaFallback() {
            super(Map.of(
                    "slm.worker.task",
                    "embed",
                    "slm.worker.hardware-class",
                    "gpu",
                    "slm.worker.execution-providers",
                    "cuda,cpu",
                    "slm.worker.provider-policy",
                    "fallback"));
        }
    }

    /** Asks for CUDA with policy refuse: the worker must not serve on the CPU. */
    public static class CudaRefused extends Base {
        public CudaRefused() {
            super(Map.of(
                    "slm.worker.task",
                    "embed",
                    "slm.worker.hardware-class",
                    "gpu",
                    "slm.worker.execution-providers",
                    "cuda,cpu",
                    "slm.worker.provider-policy",
                    "refuse"));
        }
    }

    /** MiniLM intents served over TCP and a Unix domain socket (under target/, unique per run). */
    public static class ClassifyIntentUds extends Base {
        static final String SOCKET = java.nio.file.Path.of("target/uds", "worker-" + freePort() + ".sock")
                .toAbsolutePath()
                .toString();

        public ClassifyIntentUds() {
            super(Map.of(
                    "slm.worker.task",
                    "classify-intent",
                    "slm.worker.task-config-file",
                    "src/test/resources/config/intents.json",
                    "slm.worker.grpc.uds-path",
                    SOCKET));
        }
    }
}
