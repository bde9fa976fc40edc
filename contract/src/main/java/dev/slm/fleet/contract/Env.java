package dev.slm.fleet.contract;

/** Environment variables the operator sets on the pods (each is a Quarkus config property in its process). */
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

    private Env() {}
}
