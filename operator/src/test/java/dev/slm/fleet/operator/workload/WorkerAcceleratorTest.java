package dev.slm.fleet.operator.workload;

import static dev.slm.fleet.operator.Fixtures.worker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.ExecutionProvider;
import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.ProviderPolicy;
import dev.slm.fleet.api.v1alpha1.RuntimeSpec;
import dev.slm.fleet.api.v1alpha1.SlmClusterSpec;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.placement.Accelerator;
import dev.slm.fleet.operator.placement.HardwareClasses;
import dev.slm.fleet.operator.placement.Placement;
import dev.slm.fleet.operator.placement.Scheduling;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What a worker pod is told about its accelerator: by the class it was actually placed on. */
class WorkerAcceleratorTest {
    private final OperatorConfig config = OperatorConfig.fromEnv(Map.of("SLM_OPERATOR_WORKER_IMAGE", "reg/worker:1"));

    private static Scheduling on(String hwClass) {
        return Placement.schedulingFor(HardwareClasses.of(new SlmClusterSpec()).get(hwClass), null);
    }

    private Container container(SlmWorker w, Scheduling s) {
        return WorkerResources.deployment(w, s, null, config)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
    }

    private static Map<String, String> env(Container c) {
        return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    @Test
    void aPodOnTheGpuClassCarriesTheProviderListThePolicyTheGpuAndTheCudaImage() {
        Container c = container(worker("gen", Task.GENERATE, "gpu", "cpu"), on("gpu"));
        assertThat(env(c))
                .containsEntry("SLM_WORKER_HARDWARE_CLASS", "gpu")
                .containsEntry("SLM_WORKER_EXECUTION_PROVIDERS", "cuda,cpu")
                .containsEntry("SLM_WORKER_PROVIDER_POLICY", "fallback")
                .containsEntry("NVIDIA_DRIVER_CAPABILITIES", "compute,utility");
        assertThat(c.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(c.getImage()).isEqualTo("reg/worker:1-cuda");
    }

    @Test
    void aPodMovedToTheFallbackCpuClassCarriesNoProviderListNoGpuAndTheCpuImage() {
        Container c = container(worker("gen", Task.GENERATE, "gpu", "cpu"), on("cpu"));
        assertThat(env(c))
                .containsEntry("SLM_WORKER_HARDWARE_CLASS", "cpu")
                .doesNotContainKeys(
                        "SLM_WORKER_EXECUTION_PROVIDERS", "SLM_WORKER_PROVIDER_POLICY", "NVIDIA_DRIVER_CAPABILITIES");
        assertThat(
                        c.getResources().getLimits() == null
                                ? Map.of()
                                : c.getResources().getLimits())
                .doesNotContainKey("nvidia.com/gpu");
        assertThat(c.getImage()).isEqualTo("reg/worker:1");
    }

    @Test
    void aClassNamesItsOwnProvidersAndPolicy() {
        HardwareClass trt = new HardwareClass();
        trt.name = "trt";
        trt.resourceName = "nvidia.com/gpu";
        trt.executionProviders = List.of(ExecutionProvider.TENSORRT, ExecutionProvider.CUDA);
        trt.providerPolicy = ProviderPolicy.REFUSE;
        Container c = container(worker("intent", Task.CLASSIFY_INTENT, "trt"), Placement.schedulingFor(trt, null));
        assertThat(env(c))
                .containsEntry("SLM_WORKER_EXECUTION_PROVIDERS", "tensorrt,cuda")
                .containsEntry("SLM_WORKER_PROVIDER_POLICY", "refuse");
    }

    @Test
    void theWorkersOwnImageWinsOverTheCudaImage() {
        SlmWorker w = worker("gen", Task.GENERATE, "gpu");
        w.getSpec().runtime = new RuntimeSpec();
        w.getSpec().runtime.image = "mine/worker:jetson";
        assertThat(container(w, on("gpu")).getImage()).isEqualTo("mine/worker:jetson");
    }

    @Test
    void providersDefaultByTheClassesResource() {
        HardwareClass gpu = new HardwareClass();
        gpu.resourceName = "nvidia.com/gpu";
        assertThat(Accelerator.of(gpu).providerList()).isEqualTo("cuda,cpu");
        HardwareClass npu = new HardwareClass();
        npu.resourceName = "example.com/npu";
        assertThat(Accelerator.of(npu)).isEqualTo(Accelerator.CPU);
        assertThat(Accelerator.of(new HardwareClass()).gpu()).isFalse();
    }

    @Test
    void theCudaImageCanBeNamedOnItsOwn() {
        OperatorConfig c = OperatorConfig.fromEnv(Map.of("SLM_OPERATOR_WORKER_GPU_IMAGE", "reg/worker-gpu:2"));
        assertThat(c.workerGpuImage()).isEqualTo("reg/worker-gpu:2");
        assertThat(OperatorConfig.defaults().workerGpuImage()).isEqualTo(OperatorConfig.DEFAULT_WORKER_IMAGE + "-cuda");
    }
}
