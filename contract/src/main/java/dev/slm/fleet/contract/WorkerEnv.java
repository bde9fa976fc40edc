package dev.slm.fleet.contract;

import dev.slm.fleet.api.v1alpha1.RuntimeSpec;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.SlmWorkerSpec;
import java.util.LinkedHashMap;
import java.util.Map;

/** The environment of a worker process for one SlmWorker, in a pod or in local mode. */
public final class WorkerEnv {
    private WorkerEnv() {}

    /**
     * @param modelUri where this process finds the model (a pod mounts a volume; local mode resolves paths)
     * @param tokenizerUri where it finds the tokenizer, or null
     */
    public static Map<String, String> of(
            SlmWorker worker, String modelUri, String tokenizerUri, String hardwareClass, String taskConfigFile) {
        SlmWorkerSpec spec = worker.getSpec();
        Map<String, String> env = new LinkedHashMap<>();
        env.put(Env.WORKER_NAME, worker.getMetadata().getName());
        env.put(Env.WORKER_TASK, spec.task.value());
        env.put(Env.WORKER_HARDWARE_CLASS, hardwareClass);
        env.put(Env.WORKER_MODEL_URI, modelUri);
        if (tokenizerUri != null) env.put(Env.WORKER_MODEL_TOKENIZER_URI, tokenizerUri);
        if (spec.model.sha256 != null) env.put(Env.WORKER_MODEL_SHA256, spec.model.sha256);
        if (spec.model.quantization != null) env.put(Env.WORKER_MODEL_QUANTIZATION, spec.model.quantization.value());
        env.put(Env.WORKER_TASK_CONFIG_FILE, taskConfigFile);
        RuntimeSpec rt = spec.runtime;
        if (rt != null) {
            putIf(env, "SLM_WORKER_THREADS_INTRA_OP", rt.intraOpThreads);
            putIf(env, "SLM_WORKER_THREADS_INTER_OP", rt.interOpThreads);
            putIf(env, "SLM_WORKER_QUEUE_CRITICAL", rt.queueCritical);
            putIf(env, "SLM_WORKER_QUEUE_STANDARD", rt.queueStandard);
            putIf(env, "SLM_WORKER_QUEUE_SHEDDABLE", rt.queueSheddable);
            putIf(env, "SLM_WORKER_LIMITS_MAX_INPUT_BYTES", rt.maxInputBytes);
            putIf(env, "SLM_WORKER_LIMITS_MAX_INPUT_TOKENS", rt.maxInputTokens);
        }
        if (spec.warmup != null) putIf(env, "SLM_WORKER_WARMUP_ITERATIONS", spec.warmup.iterations);
        return env;
    }

    private static void putIf(Map<String, String> env, String name, Integer value) {
        if (value != null) env.put(name, value.toString());
    }
}
