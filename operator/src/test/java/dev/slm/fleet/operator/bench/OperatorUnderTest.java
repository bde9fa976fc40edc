package dev.slm.fleet.operator.bench;

import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.OperatorMain;
import dev.slm.fleet.operator.OperatorMetrics;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The operator the benchmark measures: in the benchmark's JVM, or alone in its own (as in its pod). */
interface OperatorUnderTest {
    record Memory(long heapMiB, long rssMiB, long peakRssMiB) {}

    String describe();

    long reconciles();

    double cpuSeconds();

    Memory memory();

    boolean countsRequests();

    void stop();

    static OperatorUnderTest inProcess(Config config, Interceptor counter, String namespace) {
        KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("bench", counter))
                .build();
        Operator operator = OperatorMain.create(
                client,
                new OperatorConfig(
                        "slm-fleet/worker:bench", "slm-fleet/router:bench", "IfNotPresent", namespace, false, null, 0));
        operator.start();
        return new OperatorUnderTest() {
            @Override
            public String describe() {
                return "in the benchmark's JVM (heap and RSS include the benchmark)";
            }

            @Override
            public long reconciles() {
                return OperatorMetrics.reconciles();
            }

            @Override
            public double cpuSeconds() {
                return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                                .getProcessCpuTime()
                        / 1e9;
            }

            @Override
            public Memory memory() {
                System.gc();
                long heap =
                        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                return new Memory(
                        heap >> 20, procStatusKiB("self", "VmRSS") >> 10, procStatusKiB("self", "VmHWM") >> 10);
            }

            @Override
            public boolean countsRequests() {
                return true;
            }

            @Override
            public void stop() {
                operator.stop();
            }
        };
    }

    /** OperatorMain in a JVM of its own, on the benchmark's class path, as the chart runs it (no leader election). */
    static OperatorUnderTest process(String namespace, String kubeconfig) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String jvm = System.getProperty("slm.bench.operatorJvm", "-Xmx384m");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvm.trim().split("\\s+")));
        command.addAll(List.of(
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-cp",
                System.getProperty("java.class.path"),
                OperatorMain.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("KUBECONFIG", kubeconfig);
        pb.environment().put("SLM_OPERATOR_WATCH_NAMESPACE", namespace);
        pb.environment().put("SLM_OPERATOR_LEADER_ELECTION", "false");
        pb.environment().put("SLM_OPERATOR_METRICS_PORT", Integer.toString(port));
        pb.environment().put("SLM_OPERATOR_WORKER_IMAGE", "slm-fleet/worker:bench");
        pb.environment().put("SLM_OPERATOR_ROUTER_IMAGE", "slm-fleet/router:bench");
        Path log = Files.createTempFile("slm-bench-operator", ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process process = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        OperatorUnderTest op = new OperatorUnderTest() {
            @Override
            public String describe() {
                return "own JVM, pid " + process.pid() + ", " + jvm + " (log " + log + ")";
            }

            String scrape() {
                try {
                    return http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                            .body();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public long reconciles() {
                return scrape().lines()
                        .filter(l -> l.startsWith("reconciliations_execution_duration_seconds_count{"))
                        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                        .sum();
            }

            @Override
            public double cpuSeconds() {
                try {
                    String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }

            @Override
            public Memory memory() {
                String heap = scrape().lines()
                        .filter(l -> l.startsWith("jvm_memory_used_bytes{") && l.contains("area=\"heap\""))
                        .map(l -> l.substring(l.lastIndexOf(' ') + 1))
                        .reduce("0", (a, b) -> Double.toString(Double.parseDouble(a) + Double.parseDouble(b)));
                String pid = Long.toString(process.pid());
                return new Memory(
                        (long) Double.parseDouble(heap) >> 20,
                        procStatusKiB(pid, "VmRSS") >> 10,
                        procStatusKiB(pid, "VmHWM") >> 10);
            }

            @Override
            public boolean countsRequests() {
                return false;
            }

            @Override
            public void stop() {
                process.destroy();
            }
        };
        while (true) {
            if (!process.isAlive()) throw new IllegalStateException("operator exited; see " + log);
            try {
                op.reconciles();
                return op;
            } catch (RuntimeException e) {
                if (Instant.now().isAfter(deadline)) throw new IllegalStateException("operator did not start", e);
                java.util.concurrent.locks.LockSupport.parkNanos(200_000_000);
            }
        }
    }

    private static long procStatusKiB(String pid, String field) {
        try {
            return Files.readAllLines(Path.of("/proc", pid, "status")).stream()
                    .filter(l -> l.startsWith(field + ":"))
                    .map(l -> l.replaceAll("[^0-9]", ""))
                    .mapToLong(Long::parseLong)
                    .findFirst()
                    .orElse(-1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
