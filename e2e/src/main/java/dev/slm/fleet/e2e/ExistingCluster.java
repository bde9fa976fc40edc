package dev.slm.fleet.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Any cluster reachable through a kubeconfig file; never started or stopped by us. */
final class ExistingCluster extends BaseCluster {

    private ExistingCluster(Path kubeconfig) {
        super(kubeconfig);
    }

    static ExistingCluster connect() {
        String path = Settings.get("slm.e2e.kubeconfig", "SLM_E2E_KUBECONFIG", null);
        Assumptions.assumeTrue(
                path != null,
                "target kubeconfig skipped: set -Dslm.e2e.kubeconfig=<file> "
                        + "(or SLM_E2E_KUBECONFIG) to run the e2e tests against an existing cluster");
        Path kubeconfig = Path.of(path);
        Assumptions.assumeTrue(
                Files.isReadable(kubeconfig),
                "target kubeconfig skipped: kubeconfig file " + kubeconfig + " is not readable");
        return new ExistingCluster(kubeconfig);
    }

    @Override
    public ClusterTarget target() {
        return ClusterTarget.KUBECONFIG;
    }
}
