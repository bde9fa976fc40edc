package dev.slm.fleet.worker.accel;

import java.util.ArrayList;
import java.util.List;

/**
 * The execution providers to try, in order, the policy when the first cannot load, and the CUDA device ordinal
 * (among the devices the process sees) for the GPU providers.
 */
public record ProviderChain(List<ExecutionProvider> providers, ProviderPolicy policy, int deviceId) {

    public static final String PROVIDERS_FIELD = "slm.worker.execution-providers";
    public static final String POLICY_FIELD = "slm.worker.provider-policy";

    public ProviderChain {
        if (providers.isEmpty()) {
            throw new IllegalArgumentException(PROVIDERS_FIELD + " is empty; name at least one provider, e.g. cpu");
        }
        if (providers.stream().distinct().count() != providers.size()) {
            throw new IllegalArgumentException(PROVIDERS_FIELD + " names a provider twice: " + providers);
        }
        if (deviceId < 0) {
            throw new IllegalArgumentException("slm.worker.gpu.device-id must be >= 0, got " + deviceId);
        }
        providers = List.copyOf(providers);
    }

    public static ProviderChain cpuOnly() {
        return new ProviderChain(List.of(ExecutionProvider.CPU), ProviderPolicy.FALLBACK, 0);
    }

    /** From the comma-separated list and policy names of the worker's settings. */
    public static ProviderChain parse(String providers, String policy, int deviceId) {
        List<ExecutionProvider> list = new ArrayList<>();
        for (String name : providers.split(",")) {
            if (!name.isBlank()) {
                list.add(ExecutionProvider.parse(name, PROVIDERS_FIELD));
            }
        }
        return new ProviderChain(list, ProviderPolicy.parse(policy, POLICY_FIELD), deviceId);
    }

    public ExecutionProvider first() {
        return providers.get(0);
    }

    public List<String> ids() {
        return providers.stream().map(ExecutionProvider::id).toList();
    }
}
