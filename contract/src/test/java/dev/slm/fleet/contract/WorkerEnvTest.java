package dev.slm.fleet.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.SlmWorker;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerEnvTest {

    static SlmWorker sampleWorker(String name) throws Exception {
        return FleetManifest.parse(FleetCompilerTest.sample()).workers().stream()
                .filter(w -> w.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void theSpecBecomesTheWorkersSettingsWithTheCallersLocationAndHardware() throws Exception {
        SlmWorker intent = sampleWorker("intent");
        intent.getSpec().runtime = new dev.slm.fleet.api.v1alpha1.RuntimeSpec();
        intent.getSpec().runtime.intraOpThreads = 2;
        intent.getSpec().runtime.maxInputTokens = 128;
        Map<String, String> env = WorkerEnv.of(
                intent,
                new WorkerEnv.Location("file:/m/model.onnx", null, "/etc/task.json", "127.0.0.1"),
                WorkerEnv.Hardware.cpu("cpu"));
        assertThat(env)
                .containsEntry(Env.WORKER_NAME, "intent")
                .containsEntry(Env.WORKER_TASK, Tasks.CLASSIFY_INTENT)
                .containsEntry(Env.WORKER_HARDWARE_CLASS, "cpu")
                .containsEntry(Env.WORKER_MODEL_URI, "file:/m/model.onnx")
                .containsEntry(Env.WORKER_MODEL_QUANTIZATION, "int8")
                .containsEntry(Env.WORKER_TASK_CONFIG_FILE, "/etc/task.json")
                .containsEntry(Env.WORKER_THREADS_INTRA_OP, "2")
                .containsEntry(Env.WORKER_LIMITS_MAX_INPUT_TOKENS, "128")
                .containsEntry(Env.HTTP_HOST, "127.0.0.1")
                .containsEntry(Env.GRPC_SERVER_HOST, "127.0.0.1")
                .doesNotContainKeys(
                        Env.WORKER_MODEL_TOKENIZER_URI, Env.WORKER_EXECUTION_PROVIDERS, Env.WORKER_PROVIDER_POLICY);
        assertThat(env.get(Env.WORKER_MODEL_SHA256)).hasSize(64);
    }

    @Test
    void anAcceleratorClassNamesItsProvidersAndPolicy() throws Exception {
        Map<String, String> env = WorkerEnv.of(
                sampleWorker("intent"),
                new WorkerEnv.Location("file:/m/model.onnx", "file:/m/tokenizer.json", "/t.json", "0.0.0.0"),
                new WorkerEnv.Hardware("gpu", "cuda,cpu", "refuse"));
        assertThat(env)
                .containsEntry(Env.WORKER_EXECUTION_PROVIDERS, "cuda,cpu")
                .containsEntry(Env.WORKER_PROVIDER_POLICY, "refuse")
                .containsEntry(Env.WORKER_MODEL_TOKENIZER_URI, "file:/m/tokenizer.json");
    }

    @Test
    void everyNameIsAWorkerSettingOrAListenAddress() throws Exception {
        SlmWorker w = sampleWorker("intent");
        w.getSpec().runtime = new dev.slm.fleet.api.v1alpha1.RuntimeSpec();
        w.getSpec().runtime.intraOpThreads = 1;
        w.getSpec().runtime.interOpThreads = 1;
        w.getSpec().runtime.queueCritical = 1;
        w.getSpec().runtime.queueStandard = 1;
        w.getSpec().runtime.queueSheddable = 1;
        w.getSpec().runtime.maxInputBytes = 1;
        w.getSpec().runtime.maxInputTokens = 1;
        w.getSpec().warmup = new dev.slm.fleet.api.v1alpha1.WarmupSpec();
        w.getSpec().warmup.iterations = 1;
        Map<String, String> env = WorkerEnv.of(
                w, new WorkerEnv.Location("u", "t", "f", "h"), new WorkerEnv.Hardware("gpu", "cuda", "fallback"));
        assertThat(env.keySet()).hasSize(20).allSatisfy(name -> assertThat(name)
                .matches("SLM_WORKER_[A-Z0-9_]+|QUARKUS_(HTTP|GRPC_SERVER)_HOST"));
    }
}
