package dev.slm.fleet.operator;

import java.util.Map;

/** Operator settings, from environment variables (the Helm chart and config/manager set them). */
public record OperatorConfig(
        String workerImage,
        String routerImage,
        String imagePullPolicy,
        String namespace,
        boolean leaderElection,
        String leaseNamespace,
        int metricsPort,
        String workerGpuImage) {

    public static final String DEFAULT_WORKER_IMAGE = "slm-fleet/worker:0.1.0";
    public static final String DEFAULT_ROUTER_IMAGE = "slm-fleet/router:0.1.0";

    public static OperatorConfig fromEnv(Map<String, String> env) {
        return new OperatorConfig(
                env.getOrDefault("SLM_OPERATOR_WORKER_IMAGE", DEFAULT_WORKER_IMAGE),
                env.getOrDefault("SLM_OPERATOR_ROUTER_IMAGE", DEFAULT_ROUTER_IMAGE),
                env.getOrDefault("SLM_OPERATOR_IMAGE_PULL_POLICY", "IfNotPresent"),
                blankToNull(env.get("SLM_OPERATOR_WATCH_NAMESPACE")),
                Boolean.parseBoolean(env.getOrDefault("SLM_OPERATOR_LEADER_ELECTION", "true")),
                blankToNull(env.getOrDefault("SLM_OPERATOR_LEASE_NAMESPACE", env.get("POD_NAMESPACE"))),
                Integer.parseInt(env.getOrDefault("SLM_OPERATOR_METRICS_PORT", "8081")),
                blankToNull(env.get("SLM_OPERATOR_WORKER_GPU_IMAGE")));
    }

    /** The CUDA image defaults to the worker image's tag with "-cuda" (worker/Dockerfile, VARIANT=cuda). */
    public OperatorConfig {
        if (workerGpuImage == null) workerGpuImage = workerImage + "-cuda";
    }

    public OperatorConfig(
            String workerImage,
            String routerImage,
            String imagePullPolicy,
            String namespace,
            boolean leaderElection,
            String leaseNamespace,
            int metricsPort) {
        this(workerImage, routerImage, imagePullPolicy, namespace, leaderElection, leaseNamespace, metricsPort, null);
    }

    /** The watched namespaces ({@code namespace} is a comma-separated list); empty means all namespaces. */
    public java.util.Set<String> namespaces() {
        if (namespace == null) return java.util.Set.of();
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (String n : namespace.split(",")) {
            if (!n.isBlank()) names.add(n.trim());
        }
        return names;
    }

    public static OperatorConfig defaults() {
        return fromEnv(Map.of());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
