package dev.slm.fleet.contract;

import dev.slm.fleet.api.v1alpha1.RuntimeSpec;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.SlmWorkerSpec;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment of a worker process for one SlmWorker, in a pod (operator WorkerResources) or in local mode (cli
 * LocalMode): the one place that maps the spec to the worker's settings.
 */
public final class WorkerEnv {
    private WorkerEnv() {}

    /**
     * Where the process finds its files and which address it listens on: a pod mounts volumes and listens on all its
     * addresses, local mode resolves paths on this machine and listens on loopback.
     *
     * @param tokenizerUri null: the worker's default (the builtin's own, or tokenizer.json beside the model)
     */
    public record Location(String modelUri, String tokenizerUri, String taskConfigFile, String listenHost) {}

    /**
     * The hardware class the process was placed on and, for an accelerator class, its execution providers in order
     * (comma-separated) and their policy; null leaves the worker's default (cpu).
     */
    public record Hardware(String hardwareClass, String executionProviders, String providerPolicy) {
        public static Hardware cpu(String hardwareClass) {
            return new Hardware(hardwareClass, null, null);
        }
    }

    public static Map<String, String> of(SlmWorker worker, Location location, Hardware hardware) {
        SlmWorkerSpec spec = worker.getSpec();
        Map<String, String> env = new LinkedHashMap<>();
        env.put(Env.WORKER_NAME, worker.getMetadata().getName());
        env.put(Env.WORKER_TASK, spec.task.value());
        env.put(Env.WORKER_HARDWARE_CLASS, hardware.hardwareClass());
        putIf(env, Env.WORKER_EXECUTION_PROVIDERS, hardware.executionProviders());
        putIf(env, Env.WORKER_PROVIDER_POLICY, hardware.providerPolicy());
        env.put(Env.WORKER_MODEL_URI, location.modelUri());
        putIf(env, Env.WORKER_MODEL_TOKENIZER_URI, location.tokenizerUri());
        putIf(env, Env.WORKER_MODEL_SHA256, spec.model.sha256);
        if (spec.model.quantization != null) env.put(Env.WORKER_MODEL_QUANTIZATION, spec.model.quantization.value());
        env.put(Env.WORKER_TASK_CONFIG_FILE, location.taskConfigFile());
        RuntimeSpec rt = spec.runtime;
        if (rt != null) {
            putIf(env, Env.WORKER_THREADS_INTRA_OP, rt.intraOpThreads);
            putIf(env, Env.WORKER_THREADS_INTER_OP, rt.interOpThreads);
            putIf(env, Env.WORKER_QUEUE_CRITICAL, rt.queueCritical);
            putIf(env, Env.WORKER_QUEUE_STANDARD, rt.queueStandard);
            putIf(env, Env.WORKER_QUEUE_SHEDDABLE, rt.queueSheddable);
            putIf(env, Env.WORKER_LIMITS_MAX_INPUT_BYTES, rt.maxInputBytes);
            putIf(env, Env.WORKER_LIMITS_MAX_INPUT_TOKENS, rt.maxInputTokens);
        }
        if (spec.warmup != null) putIf(env, Env.WORKER_WARMUP_ITERATIONS, spec.warmup.iterations);
        env.put(Env.HTTP_HOST, location.listenHost());
        env.put(Env.GRPC_SERVER_HOST, location.listenHost());
        return env;
    }

    private static void putIf(Map<String, String> env, String name, Object value) {
        if (value != null) env.put(name, value.toString());
    }
}
