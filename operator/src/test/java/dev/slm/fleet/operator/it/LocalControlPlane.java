package dev.slm.fleet.operator.it;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The local control plane of e2e/ (KUBECONFIG from `e2e/cluster up`) and the faults the tests inject. */
final class LocalControlPlane {
    private LocalControlPlane() {}

    private static String kubeconfig;
    // Its own name, and owned by this JVM: the watchdog stops it even when the JVM is killed.
    private static final String CLUSTER_NAME =
            "operator-it-" + ProcessHandle.current().pid();

    /** KUBECONFIG (or -Dslm.kubeconfig) when set; otherwise starts the local control plane with `e2e/cluster up`. */
    static synchronized Config config() {
        if (kubeconfig == null) {
            String given = System.getProperty("slm.kubeconfig", System.getenv("KUBECONFIG"));
            kubeconfig = given != null && !given.isBlank() ? given : clusterUp();
        }
        return Config.fromKubeconfig(null, readFile(kubeconfig), kubeconfig);
    }

    private static String clusterUp() {
        java.nio.file.Path script = java.nio.file.Path.of(System.getProperty("slm.e2e.dir", "../e2e"), "cluster");
        if (!java.nio.file.Files.isExecutable(script)) {
            throw new IllegalStateException(
                    "no local control plane: set KUBECONFIG (eval \"$(e2e/cluster up)\") or provide " + script);
        }
        try {
            Process p = new ProcessBuilder(
                            script.toString(),
                            "up",
                            "--name",
                            CLUSTER_NAME,
                            "--owner-pid",
                            String.valueOf(ProcessHandle.current().pid()))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new IllegalStateException(script + " up failed: " + out);
            String last = out.lines()
                    .filter(l -> l.startsWith("export KUBECONFIG="))
                    .reduce((a, b) -> b)
                    .orElseThrow(
                            () -> new IllegalStateException(script + " up printed no export KUBECONFIG= line: " + out));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    new ProcessBuilder(script.toString(), "down", "--name", CLUSTER_NAME)
                            .inheritIO()
                            .start()
                            .waitFor();
                } catch (Exception e) {
                    System.err.println("e2e/cluster down failed: " + e);
                }
            }));
            return last.substring("export KUBECONFIG=".length())
                    .replace("\"", "")
                    .replace("'", "")
                    .trim();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String readFile(String path) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of(path));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static final io.fabric8.kubernetes.client.dsl.base.PatchContext STRATEGIC =
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                    io.fabric8.kubernetes.client.dsl.base.PatchType.STRATEGIC_MERGE);

    /** Strategic merge patches keyed by condition type, without resourceVersion: KWOK writes the same objects. */
    static void setPodReady(KubernetesClient kube, String ns, String pod, boolean ready) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String status = ready ? "True" : "False";
        kube.pods()
                .inNamespace(ns)
                .withName(pod)
                .subresource("status")
                .patch(
                        STRATEGIC,
                        "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + status
                                + "\",\"lastTransitionTime\":\"" + now + "\"},"
                                + "{\"type\":\"ContainersReady\",\"status\":\"" + status
                                + "\",\"lastTransitionTime\":\"" + now + "\"}]}}");
    }

    static final String KWOK_ANNOTATION = "kwok.x-k8s.io/node";

    /**
     * KWOK re-initialises any node it manages whose Ready condition is not True, so the node leaves KWOK's management
     * (its annotation is removed) while it is NotReady, and rejoins when it is Ready again.
     */
    static void setNodeReady(KubernetesClient kube, String node, boolean ready) {
        kube.nodes()
                .withName(node)
                .patch(
                        STRATEGIC,
                        ready
                                ? "{\"metadata\":{\"annotations\":{\"" + KWOK_ANNOTATION + "\":\"fake\"}}}"
                                : "{\"metadata\":{\"annotations\":{\"" + KWOK_ANNOTATION + "\":null}}}");
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        kube.nodes()
                .withName(node)
                .subresource("status")
                .patch(
                        STRATEGIC,
                        "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + (ready ? "True" : "False")
                                + "\",\"reason\":\"" + (ready ? "KubeletReady" : "KubeletNotReady")
                                + "\",\"lastTransitionTime\":\"" + now
                                + "\",\"lastHeartbeatTime\":\"" + now + "\"}]}}");
    }
}
