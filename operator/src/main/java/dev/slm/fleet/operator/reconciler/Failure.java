package dev.slm.fleet.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.util.Optional;

/**
 * What a failed reconcile means for the user: a reason and message for the conditions, whether retrying can help,
 * and whether the failure is only the namespace going away. The API server's own message is kept: it names the field
 * it refused.
 */
public record Failure(String reason, String message, boolean retry, boolean namespaceTerminating) {
    static final int MAX_MESSAGE = 1024;

    /** A refused write of one object; keeps which object it was, since the API server's message names only a field. */
    public static final class ApplyException extends RuntimeException {
        private final String target;

        public ApplyException(HasMetadata desired, KubernetesClientException cause) {
            super(desired.getKind() + " " + desired.getMetadata().getName() + ": " + cause.getMessage(), cause);
            this.target = desired.getKind() + " " + desired.getMetadata().getName();
        }

        public String target() {
            return target;
        }
    }

    public static Failure of(Exception e) {
        Optional<AggregatedOperatorException> aggregated = find(e, AggregatedOperatorException.class);
        if (aggregated.isPresent()
                && !aggregated.get().getAggregatedExceptions().isEmpty()) {
            return ofWorkflow(aggregated.get());
        }
        Optional<KubernetesClientException> kce = find(e, KubernetesClientException.class);
        String target =
                find(e, ApplyException.class).map(ApplyException::target).orElse(null);
        if (kce.isEmpty()) {
            return new Failure("ReconcileError", trim("reconcile failed, retrying: " + e), true, false);
        }
        KubernetesClientException k = kce.get();
        Status status = k.getStatus();
        String serverMessage = status != null && status.getMessage() != null ? status.getMessage() : k.getMessage();
        String what = target == null ? "" : " " + target;
        int code = k.getCode();
        if (code == 403 && terminating(status, serverMessage)) {
            return new Failure("NamespaceTerminating", trim(serverMessage), false, true);
        }
        if (code == 400 || code == 413 || code == 422) {
            return new Failure(
                    "ApplyRefused",
                    trim("the API server refused" + what + " built from this spec: " + serverMessage),
                    false,
                    false);
        }
        if (code == 401 || code == 403) {
            return new Failure(
                    "OperatorForbidden",
                    trim("the operator is not allowed to write" + what + " (check its RBAC): " + serverMessage),
                    true,
                    false);
        }
        return new Failure(
                "ApiError",
                trim("writing" + what + " failed (HTTP " + code + "), retrying: " + serverMessage),
                true,
                false);
    }

    /**
     * The failure of a workflow in which one or more dependents failed, in dependent-name order: a refusal (that only
     * a spec change can fix) is reported before a retryable failure.
     */
    private static Failure ofWorkflow(AggregatedOperatorException aggregated) {
        java.util.List<Failure> failures = new java.util.TreeMap<>(aggregated.getAggregatedExceptions())
                .values().stream().map(Failure::of).toList();
        return failures.stream()
                .filter(f -> f.namespaceTerminating() || !f.retry())
                .findFirst()
                .orElse(failures.get(0));
    }

    private static boolean terminating(Status status, String message) {
        boolean cause = status != null
                && status.getDetails() != null
                && status.getDetails().getCauses() != null
                && status.getDetails().getCauses().stream().anyMatch(c -> "NamespaceTerminating".equals(c.getReason()));
        return cause || (message != null && message.contains("because it is being terminated"));
    }

    private static <T extends Throwable> Optional<T> find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) return Optional.of(type.cast(t));
        }
        return Optional.empty();
    }

    static String trim(String s) {
        return s.length() <= MAX_MESSAGE ? s : s.substring(0, MAX_MESSAGE - 1) + "…";
    }
}
