package dev.slm.fleet.operator.it;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the container of a pod the operator created as a local process, the way the kubelet would: the container's
 * environment, its ConfigMap volumes written to a directory (mount paths rewritten to point there), and the
 * packaged Quarkus jar of our image instead of the image. KWOK only pretends to run pods; this runs one for real.
 */
final class PodProcess implements AutoCloseable {
    private static final java.util.regex.Pattern LISTENING =
            java.util.regex.Pattern.compile("Listening on: http://127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    final Path log;
    private volatile int httpPort;

    private PodProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * The HTTP port the process bound. It picks a free one itself (port 0): a port probed free here and bound later by
     * the child can be taken in between by any outbound connection on this busy machine.
     */
    int httpPort() {
        if (httpPort == 0) {
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException(
                                    "process exited with " + process.exitValue() + " before listening: " + logText());
                        }
                        java.util.regex.Matcher m = LISTENING.matcher(logText());
                        if (m.find()) httpPort = Integer.parseInt(m.group(1));
                        return httpPort != 0;
                    });
        }
        return httpPort;
    }

    /**
     * @param jar       the module's quarkus-run.jar
     * @param overrides environment entries that replace the pod's (addresses and ports on loopback, credentials)
     */
    static PodProcess start(
            KubernetesClient kube,
            String ns,
            PodSpec spec,
            Path jar,
            Path workDir,
            String name,
            Map<String, String> overrides)
            throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    jar.toAbsolutePath() + " is missing: build the reactor first (./mvnw -B verify"
                            + " builds it before the operator's integration tests)");
        }
        Container container = spec.getContainers().get(0);
        Map<String, Path> mounts = new LinkedHashMap<>();
        for (VolumeMount m :
                container.getVolumeMounts() == null ? List.<VolumeMount>of() : container.getVolumeMounts()) {
            Volume v = spec.getVolumes().stream()
                    .filter(x -> x.getName().equals(m.getName()))
                    .findFirst()
                    .orElseThrow();
            Path dir = Files.createDirectories(
                    workDir.resolve(name).resolve("volumes").resolve(m.getName()));
            if (v.getConfigMap() != null) {
                ConfigMap cm = kube.configMaps()
                        .inNamespace(ns)
                        .withName(v.getConfigMap().getName())
                        .get();
                if (cm == null)
                    throw new IllegalStateException(
                            "pod mounts ConfigMap " + v.getConfigMap().getName() + ", which does not exist");
                for (var e : cm.getData().entrySet()) Files.writeString(dir.resolve(e.getKey()), e.getValue());
            }
            mounts.put(m.getMountPath(), dir);
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
            if (e.getValue() == null) continue; // valueFrom (downward API): not needed on loopback
            env.put(e.getName(), rewriteMountPath(e.getValue(), mounts));
        }
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", "0");
        // Synchronous logging: a process that fails at start-up must leave its reason in the log.
        env.put("QUARKUS_LOG_CONSOLE_ASYNC_ENABLED", "false");
        env.putAll(overrides);

        Path log = workDir.resolve(name).resolve("process.log");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                jar.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("KUBECONFIG");
        pb.environment().putAll(env);
        return new PodProcess(pb.start(), log);
    }

    /**
     * A value that starts with a mount path (or is a file: URI of one) points into that mount's directory here. Only
     * the leading path is rewritten, once: a mount such as /tmp must not match inside a path already rewritten.
     */
    static String rewriteMountPath(String value, Map<String, Path> mounts) {
        String scheme = value.startsWith("file:") ? "file:" : "";
        String path = value.substring(scheme.length());
        return mounts.entrySet().stream()
                .filter(m -> path.equals(m.getKey()) || path.startsWith(m.getKey() + "/"))
                .max(java.util.Comparator.comparingInt(m -> m.getKey().length()))
                .map(m -> scheme
                        + m.getValue().toAbsolutePath()
                        + path.substring(m.getKey().length()))
                .orElse(value);
    }

    boolean alive() {
        return process.isAlive();
    }

    String exit() {
        return process.isAlive() ? "running" : "exited with " + process.exitValue();
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
