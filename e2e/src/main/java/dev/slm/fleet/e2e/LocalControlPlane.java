package dev.slm.fleet.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.opentest4j.TestAbortedException;

/** The local control plane, started and stopped through {@code e2e/cluster}. */
final class LocalControlPlane extends BaseCluster {

    private final Path script;
    private final Path stateDir;

    private LocalControlPlane(Path script, Path stateDir, Path kubeconfig) {
        super(kubeconfig);
        this.script = script;
        this.stateDir = stateDir;
    }

    static LocalControlPlane start() {
        Path script = findScript();
        long pid = ProcessHandle.current().pid();
        Path workDir = script.getParent().resolve(".work");
        removeStaleStateDirs(workDir);
        Path stateDir = workDir.resolve("jvm-" + pid);
        List<String> args =
                new ArrayList<>(List.of("up", "--state-dir", stateDir.toString(), "--owner-pid", Long.toString(pid)));
        String nodes = Settings.get("slm.e2e.nodes", "SLM_E2E_NODES", null);
        if (nodes != null) {
            args.addAll(List.of("--nodes", script.getParent().resolve(nodes).toString()));
        }
        if (Boolean.parseBoolean(Settings.get("slm.e2e.realNode", "SLM_E2E_REAL_NODE", "false"))) {
            String unavailable = realNodeUnavailable(script);
            if (unavailable != null) {
                throw new TestAbortedException("this machine cannot run the real node: " + unavailable);
            }
            args.add("--real-node");
        }
        List<String> output = run(script, args.toArray(String[]::new));
        String last = output.isEmpty() ? "" : output.get(output.size() - 1);
        if (!last.startsWith("export KUBECONFIG=")) {
            throw new IllegalStateException("e2e/cluster up did not print the kubeconfig; output:\n"
                    + String.join("\n", output) + "\nlogs: " + stateDir.resolve("logs"));
        }
        LocalControlPlane cluster =
                new LocalControlPlane(script, stateDir, Path.of(last.substring("export KUBECONFIG=".length())));
        System.out.println("[slm-e2e] local control plane up; kubeconfig " + cluster.kubeconfig()
                + "; component logs in " + stateDir.resolve("logs"));
        return cluster;
    }

    /** State of earlier JVMs that are gone and whose cluster was stopped (no pids file left). */
    private static void removeStaleStateDirs(Path workDir) {
        if (!Files.isDirectory(workDir)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(workDir)) {
            dirs.filter(d -> d.getFileName().toString().matches("jvm-\\d+"))
                    .filter(d -> ProcessHandle.of(
                                    Long.parseLong(d.getFileName().toString().substring(4)))
                            .isEmpty())
                    .filter(d -> !Files.exists(d.resolve("pids")))
                    .forEach(LocalControlPlane::deleteRecursively);
        } catch (IOException e) {
            System.err.println("[slm-e2e] cannot clean " + workDir + ": " + e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("[slm-e2e] cannot delete " + dir + ": " + e);
        }
    }

    private static Path findScript() {
        String home = Settings.get("slm.e2e.home", "SLM_E2E_HOME", null);
        List<Path> candidates = new ArrayList<>();
        if (home != null) {
            candidates.add(Path.of(home).resolve("cluster"));
            candidates.add(Path.of(home).resolve("e2e/cluster"));
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            candidates.add(dir.resolve("e2e/cluster"));
        }
        return candidates.stream()
                .filter(Files::isExecutable)
                .findFirst()
                .map(Path::toAbsolutePath)
                .orElseThrow(() -> new IllegalStateException("cannot find e2e/cluster; set -Dslm.e2e.home=<repo>/e2e"));
    }

    /** Why {@code e2e/cluster real-node-check} says the real node cannot run here (missing tools, images), or null. */
    private static String realNodeUnavailable(Path script) {
        try {
            Process process = new ProcessBuilder(script.toString(), "real-node-check")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return process.waitFor() == 0 ? null : out;
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> run(Path script, String... args) {
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    System.out.println("[slm-e2e] " + line);
                    lines.add(line);
                }
            }
            int rc = process.waitFor();
            if (rc != 0) {
                throw new IllegalStateException("e2e/cluster " + String.join(" ", args) + " failed (exit " + rc + "):\n"
                        + String.join("\n", lines));
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public ClusterTarget target() {
        return ClusterTarget.LOCAL;
    }

    @Override
    public Optional<Path> logsDir() {
        return Optional.of(stateDir.resolve("logs"));
    }

    @Override
    boolean simulatesNodes() {
        return true;
    }

    @Override
    public synchronized void close() {
        super.close();
        run(script, "down", "--state-dir", stateDir.toString());
    }
}
