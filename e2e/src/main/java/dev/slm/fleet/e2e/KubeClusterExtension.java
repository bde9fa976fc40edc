package dev.slm.fleet.e2e;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.opentest4j.TestAbortedException;

/**
 * Starts one cluster per JVM (on first use) and stops it when the JVM's root extension context closes, from a
 * shutdown hook, or, for the local target, from the launcher's watchdog when the JVM dies without either.
 * Resolves {@link KubeCluster} and {@link KubernetesClient} parameters. Use through {@link KubeTest}. When the
 * chosen target is unavailable, every test that asks for the cluster is aborted (reported as skipped) with the reason.
 */
public final class KubeClusterExtension implements ExecutionCondition, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(KubeClusterExtension.class);

    /** Starts the cluster before the first test class runs; skips the class, with the reason, when unavailable. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        try {
            KubeCluster cluster = cluster(context);
            return ConditionEvaluationResult.enabled(
                    "target " + cluster.target().name().toLowerCase());
        } catch (TestAbortedException e) {
            return ConditionEvaluationResult.disabled(e.getMessage());
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == KubeCluster.class || type == KubernetesClient.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        KubeCluster cluster = cluster(context);
        return parameter.getParameter().getType() == KubernetesClient.class ? cluster.client() : cluster;
    }

    /** The JVM-wide cluster; aborts the calling test (with the reason) when the chosen target is unavailable. */
    public static KubeCluster cluster(ExtensionContext context) {
        ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
        return store.getOrComputeIfAbsent(Shared.class, key -> new Shared(), Shared.class)
                .get();
    }

    /** Holds the cluster in the root store; JUnit closes it at the end of the run. */
    private static final class Shared implements AutoCloseable {
        private final AtomicBoolean closed = new AtomicBoolean();
        private KubeCluster cluster;
        private RuntimeException startFailure;

        synchronized KubeCluster get() {
            if (startFailure != null) {
                throw startFailure;
            }
            if (cluster == null) {
                ClusterTarget target = ClusterTarget.fromEnvironment();
                try {
                    cluster = switch (target) {
                        case LOCAL -> LocalControlPlane.start();
                        case K3S -> K3sCluster.start();
                        case KUBECONFIG -> ExistingCluster.connect();
                    };
                } catch (TestAbortedException e) {
                    System.err.println("[slm-e2e] SKIPPED: " + e.getMessage());
                    startFailure = e;
                    throw e;
                } catch (RuntimeException e) {
                    startFailure = e;
                    throw e;
                }
                Runtime.getRuntime().addShutdownHook(new Thread(this::close, "slm-e2e-cluster-shutdown"));
            }
            return cluster;
        }

        @Override
        public void close() {
            KubeCluster toClose;
            synchronized (this) {
                toClose = cluster;
            }
            if (toClose != null && closed.compareAndSet(false, true)) {
                toClose.close();
            }
        }
    }
}
