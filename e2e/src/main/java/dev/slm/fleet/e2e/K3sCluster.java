package dev.slm.fleet.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/** K3s in a container through Testcontainers; skipped with a message when no Docker engine is reachable. */
final class K3sCluster extends BaseCluster {

    static final String DEFAULT_IMAGE = "rancher/k3s:v1.34.4-k3s1";

    private final K3sContainer container;

    private K3sCluster(K3sContainer container, Path kubeconfig) {
        super(kubeconfig);
        this.container = container;
    }

    static K3sCluster start() {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            docker = false;
        }
        Assumptions.assumeTrue(
                docker,
                "target k3s skipped: no Docker engine reachable for Testcontainers "
                        + "(run with -Dslm.e2e.target=local for the local control plane)");
        String image = Settings.get("slm.e2e.k3s.image", "SLM_E2E_K3S_IMAGE", DEFAULT_IMAGE);
        K3sContainer container = new K3sContainer(DockerImageName.parse(image));
        container.start();
        try {
            Path kubeconfig = Files.createTempFile("slm-e2e-k3s-", ".kubeconfig");
            Files.writeString(kubeconfig, container.getKubeConfigYaml());
            return new K3sCluster(container, kubeconfig);
        } catch (IOException e) {
            container.stop();
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public ClusterTarget target() {
        return ClusterTarget.K3S;
    }

    @Override
    public void close() {
        super.close();
        container.stop();
    }
}
