package dev.slm.fleet.worker.accel;

import dev.slm.fleet.worker.model.ModelLoadException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Walks a provider chain: opens the model with the first provider that loads, applying the policy when the first
 * one does not. The opener does the ONNX Runtime work, so the walk itself is a pure function (unit-tested).
 */
public final class ProviderSelector {

    /** Opens the model with these GPU providers registered in order (empty: CPU only). */
    @FunctionalInterface
    public interface Opener<T> {
        T open(List<ExecutionProvider> registered) throws Exception;
    }

    public record Selected<T>(T value, ProviderSelection selection) {}

    private static final int MAX_REASON_CHARS = 300;

    private ProviderSelector() {}

    public static <T> Selected<T> select(ProviderChain chain, Set<ExecutionProvider> available, Opener<T> opener)
            throws ModelLoadException {
        List<String> failures = new ArrayList<>();
        List<ExecutionProvider> providers = chain.providers();
        for (int i = 0; i < providers.size(); i++) {
            ExecutionProvider p = providers.get(i);
            String failure;
            if (p != ExecutionProvider.CPU && !available.contains(p)) {
                failure = p.id() + ": not in this ONNX Runtime build (it has "
                        + available.stream().map(ExecutionProvider::id).sorted().collect(Collectors.joining(", "))
                        + "); run the CUDA worker image";
            } else {
                List<ExecutionProvider> registered = registered(providers.subList(i, providers.size()), available);
                try {
                    T value = opener.open(registered);
                    Optional<String> reason =
                            failures.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", failures));
                    return new Selected<>(value, new ProviderSelection(p, chain.providers(), reason, chain.deviceId()));
                } catch (Exception e) {
                    if (p == ExecutionProvider.CPU) {
                        // The model itself cannot open: the runtime's own message, not a provider problem.
                        String after = failures.isEmpty() ? "" : " (after " + String.join("; ", failures) + ")";
                        throw new ModelLoadException(e.getMessage() + after, e);
                    }
                    failure = p.id() + " (device " + chain.deviceId() + "): " + firstLine(e);
                }
            }
            failures.add(failure);
            if (chain.policy() == ProviderPolicy.REFUSE) {
                throw new ProviderRefusedException("execution provider " + p.id() + " cannot load and "
                        + ProviderChain.POLICY_FIELD + " is refuse: " + failure);
            }
        }
        throw new ProviderRefusedException(
                "no execution provider of " + chain.ids() + " could open the model: " + String.join("; ", failures));
    }

    /** The provider tried now plus the later GPU providers present, which take the nodes it cannot run. */
    static List<ExecutionProvider> registered(List<ExecutionProvider> rest, Set<ExecutionProvider> available) {
        if (rest.get(0) == ExecutionProvider.CPU) {
            return List.of();
        }
        List<ExecutionProvider> out = new ArrayList<>();
        out.add(rest.get(0));
        rest.stream().skip(1).filter(p -> p.gpu() && available.contains(p)).forEach(out::add);
        return out;
    }

    private static String firstLine(Exception e) {
        String m = e.getMessage() == null
                ? e.getClass().getSimpleName()
                : e.getMessage().strip();
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl);
        }
        return m.length() > MAX_REASON_CHARS ? m.substring(0, MAX_REASON_CHARS) + "..." : m;
    }
}
