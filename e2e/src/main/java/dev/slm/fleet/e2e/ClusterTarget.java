package dev.slm.fleet.e2e;

import java.util.Locale;

/** Where the e2e tests run. */
public enum ClusterTarget {
    /** kine + kube-apiserver + controller-manager + scheduler + KWOK started by {@code e2e/cluster}; the default. */
    LOCAL,
    /** K3s in a container through Testcontainers; needs a Docker engine. */
    K3S,
    /** An existing cluster from {@code -Dslm.e2e.kubeconfig} (env {@code SLM_E2E_KUBECONFIG}). */
    KUBECONFIG;

    public static final String PROPERTY = "slm.e2e.target";

    static ClusterTarget fromEnvironment() {
        String value = Settings.get(PROPERTY, "SLM_E2E_TARGET", "local");
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Unknown " + PROPERTY + "='" + value + "'; expected one of local, k3s, kubeconfig", e);
        }
    }
}
