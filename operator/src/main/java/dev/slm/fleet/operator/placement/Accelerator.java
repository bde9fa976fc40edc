package dev.slm.fleet.operator.placement;

import dev.slm.fleet.api.v1alpha1.ExecutionProvider;
import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.ProviderPolicy;
import java.util.List;

/** The execution providers a worker pod on a hardware class tries, in order, and the policy when the first fails. */
public record Accelerator(List<ExecutionProvider> providers, ProviderPolicy policy) {

    public static final Accelerator CPU = new Accelerator(List.of(ExecutionProvider.CPU), ProviderPolicy.FALLBACK);

    public Accelerator {
        providers = List.copyOf(providers);
    }

    /** The class's own list, else [cuda, cpu] for an NVIDIA GPU class and [cpu] for any other. */
    public static Accelerator of(HardwareClass hwClass) {
        List<ExecutionProvider> providers;
        if (hwClass.executionProviders != null && !hwClass.executionProviders.isEmpty()) {
            providers = hwClass.executionProviders;
        } else if (HardwareClasses.GPU_RESOURCE.equals(hwClass.resourceName)) {
            providers = List.of(ExecutionProvider.CUDA, ExecutionProvider.CPU);
        } else {
            providers = CPU.providers();
        }
        return new Accelerator(
                providers, hwClass.providerPolicy == null ? ProviderPolicy.FALLBACK : hwClass.providerPolicy);
    }

    /** Some provider needs a GPU: the pod gets the CUDA worker image and the provider list. */
    public boolean gpu() {
        return providers.stream().anyMatch(ExecutionProvider::gpu);
    }

    /** As SLM_WORKER_EXECUTION_PROVIDERS reads it. */
    public String providerList() {
        return String.join(",", providers.stream().map(ExecutionProvider::value).toList());
    }
}
