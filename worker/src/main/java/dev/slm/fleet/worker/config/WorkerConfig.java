package dev.slm.fleet.worker.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** The worker's settings (prefix {@code slm.worker}); env form e.g. {@code SLM_WORKER_MODEL_URI}. */
@ConfigMapping(prefix = "slm.worker")
public interface WorkerConfig {

    @WithDefault("worker-local")
    String name();

    /** classify-intent | extract-slots | embed | generate (custom is refused: a custom pool runs its own image) */
    @WithDefault("classify-intent")
    String task();

    @WithDefault("cpu")
    String hardwareClass();

    /**
     * ONNX Runtime execution providers to try in order, comma-separated: cpu, cuda, tensorrt. The operator sets it
     * from the hardware class the pod was placed on.
     */
    @WithDefault("cpu")
    String executionProviders();

    /** When the first provider cannot load: fallback (next one, reported) or refuse (NOT_SERVING). */
    @WithDefault("fallback")
    String providerPolicy();

    Gpu gpu();

    Model model();

    /** TaskParameters as proto3 JSON. */
    Optional<String> taskConfigFile();

    Threads threads();

    Queue queue();

    Warmup warmup();

    Limits limits();

    Grpc grpc();

    interface Grpc {
        /** A Unix domain socket to serve gRPC on as well (for a router on the same host); none by default. */
        Optional<String> udsPath();
    }

    interface Model {
        /** A path, a file:/http:/https: URI, or builtin:all-minilm-l6-v2-q. */
        @WithDefault("builtin:all-minilm-l6-v2-q")
        String uri();

        /** Pinned sha256 (hex, optionally prefixed "sha256:") of the plaintext model file. */
        Optional<String> sha256();

        /** tokenizer.json; default: the builtin's own, or tokenizer.json beside a local model file. */
        Optional<String> tokenizerUri();

        Optional<String> quantization();

        /** AES-256 key (32 raw bytes, or base64/hex text) for an AES-GCM encrypted model file. */
        Optional<String> keyFile();

        /** ONNX Runtime graph optimisation: auto (measured at the first load, cached) | none | basic | extended | all. */
        @WithDefault("auto")
        String optimization();

        /**
         * Where auto keeps its choices and optimised graphs (created when missing); default {@code
         * <java.io.tmpdir>/slm-worker-graphs}; {@code off}: measure at every load, write nothing.
         */
        Optional<String> graphCache();

        /** Display name; default: derived from the URI. */
        Optional<String> name();
    }

    interface Gpu {
        /** CUDA device ordinal among the visible devices; default 0 (a pod sees only its allocated GPUs). */
        Optional<Integer> deviceId();

        /** nvidia-smi binary for gpu_memory_bytes_used / gpu_utilization_percent. */
        @WithDefault("nvidia-smi")
        String smi();

        @WithDefault("5s")
        java.time.Duration metricsInterval();
    }

    interface Threads {
        @WithDefault("1")
        int intraOp();

        @WithDefault("1")
        int interOp();

        /** Inference threads taking work from the queues; default: available processors. */
        Optional<Integer> workers();
    }

    interface Queue {
        @WithDefault("64")
        int critical();

        @WithDefault("32")
        int standard();

        @WithDefault("16")
        int sheddable();
    }

    interface Warmup {
        @WithDefault("3")
        int iterations();
    }

    interface Limits {
        @WithDefault("8192")
        int maxInputBytes();

        @WithDefault("256")
        int maxInputTokens();

        /** Texts per Embed call. */
        @WithDefault("64")
        int maxBatch();

        /** Upper bound for SamplingParams.max_tokens. */
        @WithDefault("512")
        int maxNewTokens();
    }
}
