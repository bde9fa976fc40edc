package dev.slm.fleet.worker.accel;

import java.util.List;
import java.util.Optional;

/**
 * The provider a model actually runs on, what was asked for, and why it is not the first one asked for
 * (empty when it is).
 */
public record ProviderSelection(
        ExecutionProvider active, List<ExecutionProvider> requested, Optional<String> fallbackReason, int deviceId) {

    public static ProviderSelection cpu() {
        return new ProviderSelection(ExecutionProvider.CPU, List.of(ExecutionProvider.CPU), Optional.empty(), 0);
    }

    public boolean fellBack() {
        return fallbackReason.isPresent();
    }

    public List<String> requestedIds() {
        return requested.stream().map(ExecutionProvider::id).toList();
    }
}
