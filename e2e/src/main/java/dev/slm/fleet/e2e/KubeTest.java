package dev.slm.fleet.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the annotated test class against a real Kubernetes cluster shared by the whole JVM. Test methods, constructors
 * and lifecycle methods may declare {@link KubeCluster} or {@link io.fabric8.kubernetes.client.KubernetesClient}
 * parameters. The target is chosen by {@code -Dslm.e2e.target=local|k3s|kubeconfig} (env {@code SLM_E2E_TARGET});
 * see {@link ClusterTarget}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(KubeClusterExtension.class)
public @interface KubeTest {}
