package dev.slm.fleet.contract;

/** Environment variables of the processes (each is a Quarkus config property in its process). */
public final class Env {
    public static final String ROUTER_PIPELINE_FILE = "SLM_ROUTER_PIPELINE_FILE";
    public static final String ROUTER_ROUTING_CONFIGMAP = "SLM_ROUTER_ROUTING_CONFIGMAP";

    public static final String WORKER_NAME = "SLM_WORKER_NAME";
    public static final String WORKER_TASK = "SLM_WORKER_TASK";
    public static final String WORKER_TASK_CONFIG_FILE = "SLM_WORKER_TASK_CONFIG_FILE";
    public static final String WORKER_MODEL_URI = "SLM_WORKER_MODEL_URI";
    public static final String WORKER_MODEL_TOKENIZER_URI = "SLM_WORKER_MODEL_TOKENIZER_URI";
    public static final String WORKER_MODEL_SHA256 = "SLM_WORKER_MODEL_SHA256";
    public static final String WORKER_MODEL_QUANTIZATION = "SLM_WORKER_MODEL_QUANTIZATION";
    public static final String WORKER_HARDWARE_CLASS = "SLM_WORKER_HARDWARE_CLASS";
    /** ONNX Runtime execution providers in order, comma-separated (cpu, cuda, tensorrt); set for GPU classes only. */
    public static final String WORKER_EXECUTION_PROVIDERS = "SLM_WORKER_EXECUTION_PROVIDERS";
    /** fallback | refuse: what the worker does when the first provider cannot load. */
    public static final String WORKER_PROVIDER_POLICY = "SLM_WORKER_PROVIDER_POLICY";

    public static final String WORKER_THREADS_INTRA_OP = "SLM_WORKER_THREADS_INTRA_OP";
    public static final String WORKER_THREADS_INTER_OP = "SLM_WORKER_THREADS_INTER_OP";
    public static final String WORKER_QUEUE_CRITICAL = "SLM_WORKER_QUEUE_CRITICAL";
    public static final String WORKER_QUEUE_STANDARD = "SLM_WORKER_QUEUE_STANDARD";
    public static final String WORKER_QUEUE_SHEDDABLE = "SLM_WORKER_QUEUE_SHEDDABLE";
    public static final String WORKER_LIMITS_MAX_INPUT_BYTES = "SLM_WORKER_LIMITS_MAX_INPUT_BYTES";
    public static final String WORKER_LIMITS_MAX_INPUT_TOKENS = "SLM_WORKER_LIMITS_MAX_INPUT_TOKENS";
    public static final String WORKER_WARMUP_ITERATIONS = "SLM_WORKER_WARMUP_ITERATIONS";

    /** The addresses a process listens on: all of the pod's in a pod, loopback in local mode. */
    public static final String HTTP_HOST = "QUARKUS_HTTP_HOST";

    public static final String GRPC_SERVER_HOST = "QUARKUS_GRPC_SERVER_HOST";

    private Env() {}
}
