package dev.slm.fleet.operator.bench;

import dev.slm.fleet.api.v1alpha1.*;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.routing.RoutingTables;
import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.*;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operator's benchmark on the local control plane: convergence of one SlmCluster with W workers x R replicas
 * over N KWOK nodes, pod-unready to routing-table removal latency, API requests per reconcile, steady-state writes,
 * operator CPU seconds, heap and RSS. Prints a Markdown table. With {@code -Dslm.bench.operatorProcess=true} the
 * operator runs alone in its own JVM ({@code -Dslm.bench.operatorJvm}, default {@code -Xmx384m}, the chart's heap):
 * reconciles come from its /metrics, CPU and RSS from /proc; API requests are counted only in-process.
 *
 * <pre>
 * eval "$(e2e/cluster up)"
 * ./mvnw -B -q -pl operator test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.slm.fleet.operator.bench.OperatorBenchmark -Dexec.args="50 4 100 50"
 * </pre>
 */
public final class OperatorBenchmark {
    private static final AtomicLong REQUESTS = new AtomicLong();
    private static final AtomicLong WRITES = new AtomicLong();

    public static void main(String[] args) throws Exception {
        int workers = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int replicas = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int nodeCount = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int trials = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        String loadAtStart = Files.readString(Path.of("/proc/loadavg")).trim();
        String run = "bench-" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        String kubeconfig = System.getenv("KUBECONFIG");
        Config config = Config.fromKubeconfig(null, Files.readString(Path.of(kubeconfig)), kubeconfig);
        KubernetesClient kube = new KubernetesClientBuilder().withConfig(config).build();
        for (Path f : List.of(
                Path.of("crds/slmclusters.fleet.slm.dev-v1.yml"), Path.of("crds/slmworkers.fleet.slm.dev-v1.yml"))) {
            Path p = Files.exists(f) ? f : Path.of("..").resolve(f);
            try (var in = Files.newInputStream(p)) {
                kube.load(in).forceConflicts().serverSideApply();
            }
        }
        kube.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(run)
                        .endMetadata()
                        .build())
                .create();
        progress("creating %d KWOK nodes", nodeCount);
        List<String> nodes = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            String name = run + "-n" + i;
            Map<String, Quantity> alloc =
                    Map.of("cpu", new Quantity("64"), "memory", new Quantity("256Gi"), "pods", new Quantity("110"));
            kube.nodes()
                    .resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName(name)
                            .withLabels(Map.of("bench.fleet.slm.dev/pool", run, "type", "kwok"))
                            .withAnnotations(Map.of("kwok.x-k8s.io/node", "fake"))
                            .endMetadata()
                            .withNewStatus()
                            .withAllocatable(alloc)
                            .withCapacity(alloc)
                            .endStatus()
                            .build())
                    .create();
            nodes.add(name);
        }

        if (Boolean.getBoolean("slm.bench.simulateKubelet")) {
            progress(
                    "no KWOK: simulating kubelets in-process (pods Running/Ready with 127.0.0.0/8 IPs, node heartbeats)");
            KubeletSimulator.start(kube, run);
        }
        Interceptor counter = new Interceptor() {
            @Override
            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                REQUESTS.incrementAndGet();
                if (!"GET".equals(request.method())) WRITES.incrementAndGet();
            }
        };
        OperatorUnderTest operator = Boolean.getBoolean("slm.bench.operatorProcess")
                ? OperatorUnderTest.process(run, kubeconfig)
                : OperatorUnderTest.inProcess(config, counter, run);
        progress("operator: %s", operator.describe());

        SlmCluster cluster = new SlmCluster();
        cluster.setMetadata(
                new ObjectMetaBuilder().withName("bench").withNamespace(run).build());
        cluster.setSpec(new SlmClusterSpec());
        HardwareClass cpu = new HardwareClass();
        cpu.name = "cpu";
        cpu.nodeSelector = Map.of("bench.fleet.slm.dev/pool", run);
        cluster.getSpec().hardwareClasses = List.of(cpu);
        cluster.getSpec().router = new RouterSpec();
        cluster.getSpec().router.replicas = 0;
        StageSpec understand = new StageSpec();
        understand.tasks = List.of(Task.CLASSIFY_INTENT);
        cluster.getSpec().pipeline = List.of(understand);
        long reconcilesBefore = operator.reconciles();
        double cpuBefore = operator.cpuSeconds();
        long writesBefore = WRITES.get();
        long requestsBefore = REQUESTS.get();
        Instant start = Instant.now();
        kube.resource(cluster).create();
        for (int i = 0; i < workers; i++) {
            SlmWorker w = new SlmWorker();
            w.setMetadata(
                    new ObjectMetaBuilder().withName("w" + i).withNamespace(run).build());
            w.setSpec(new SlmWorkerSpec());
            w.getSpec().cluster = "bench";
            w.getSpec().task = Task.values()[i % 3];
            w.getSpec().replicas = replicas;
            w.getSpec().model = new ModelSpec();
            w.getSpec().model.uri = "builtin:all-minilm-l6-v2-q";
            w.getSpec().model.sha256 = "c".repeat(64);
            w.getSpec().model.quantization = Quantization.INT8;
            w.getSpec().hardware = new HardwareSpec();
            w.getSpec().hardware.className = "cpu";
            kube.resource(w).create();
        }
        int expected = workers * replicas;
        progress(
                "applied 1 SlmCluster + %d SlmWorkers x %d replicas; waiting for %d endpoints",
                workers, replicas, expected);
        Instant lastProgress = Instant.now();
        while (endpointCount(kube, run) < expected || readyWorkers(kube, run) < workers) {
            if (Duration.between(lastProgress, Instant.now()).toSeconds() >= 5) {
                progress(
                        "  %d/%d endpoints, %d/%d workers Ready",
                        endpointCount(kube, run), expected, readyWorkers(kube, run), workers);
                lastProgress = Instant.now();
            }
            if (Duration.between(start, Instant.now()).toMinutes() >= 10)
                throw new IllegalStateException("no convergence in 10 minutes");
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000);
        }
        Duration converge = Duration.between(start, Instant.now());
        long reconciles = operator.reconciles() - reconcilesBefore;
        double cpuSeconds = operator.cpuSeconds() - cpuBefore;
        long writes = WRITES.get() - writesBefore;
        long requests = REQUESTS.get() - requestsBefore;
        long scheduled = kube.pods().inNamespace(run).list().getItems().stream()
                .map(p -> p.getStatus().getConditions().stream()
                        .filter(c -> "PodScheduled".equals(c.getType()))
                        .findFirst()
                        .map(c -> Instant.parse(c.getLastTransitionTime()))
                        .orElse(start))
                .mapToLong(t -> Duration.between(start, t).toMillis())
                .max()
                .orElse(0);

        progress("measuring pod unready -> removed from the routing table, %d trials", trials);
        List<Long> latencies = new ArrayList<>();
        List<Pod> pods = kube.pods().inNamespace(run).list().getItems();
        for (int t = 0; t < trials; t++) {
            Pod pod = pods.get(t % pods.size());
            String podName = pod.getMetadata().getName();
            Instant t0 = Instant.now();
            setReady(kube, run, podName, false);
            while (routedPods(kube, run).contains(podName)) java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
            latencies.add(Duration.between(t0, Instant.now()).toMillis());
            setReady(kube, run, podName, true);
            while (!routedPods(kube, run).contains(podName))
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
        }
        Collections.sort(latencies);

        progress("steady state: counting writes for 10 s");
        long steadyBefore = WRITES.get();
        Instant steadyEnd = Instant.now().plusSeconds(10);
        while (Instant.now().isBefore(steadyEnd)) java.util.concurrent.locks.LockSupport.parkNanos(100_000_000);
        long steadyWrites = WRITES.get() - steadyBefore;
        OperatorUnderTest.Memory memory = operator.memory();

        System.out.println();
        System.out.printf("| metric | value |%n|---|---|%n");
        System.out.printf("| workers x replicas / nodes | %d x %d / %d |%n", workers, replicas, nodeCount);
        System.out.printf("| operator | %s |%n", operator.describe());
        System.out.printf("| apply -> all Ready + routing table complete | %.1f s |%n", converge.toMillis() / 1000.0);
        System.out.printf("| apply -> last pod scheduled (scheduler) | %.1f s |%n", scheduled / 1000.0);
        System.out.printf(
                "| reconciles during convergence (per SlmWorker) | %d (%.1f) |%n",
                reconciles, (double) reconciles / workers);
        System.out.printf(
                "| operator CPU during convergence (per converged pod) | %.1f s (%.0f ms) |%n",
                cpuSeconds, cpuSeconds * 1000 / expected);
        if (operator.countsRequests()) {
            System.out.printf(
                    "| API requests / writes per reconcile (convergence) | %.2f / %.2f |%n",
                    (double) requests / reconciles, (double) writes / reconciles);
        }
        System.out.printf(
                "| pod unready -> out of routing table p50 / p99 (%d trials) | %d ms / %d ms |%n",
                trials, pct(latencies, 50), pct(latencies, 99));
        if (operator.countsRequests()) {
            System.out.printf("| writes in 10 s of steady state | %d |%n", steadyWrites);
        }
        System.out.printf("| JVM heap after GC | %d MiB |%n", memory.heapMiB());
        System.out.printf("| RSS / peak RSS | %d MiB / %d MiB |%n", memory.rssMiB(), memory.peakRssMiB());
        System.out.printf(
                "| load average at start / end | %s / %s |%n",
                loadAtStart, Files.readString(Path.of("/proc/loadavg")).trim());

        operator.stop();
        kube.namespaces().withName(run).delete();
        nodes.forEach(n -> kube.nodes().withName(n).delete());
        System.exit(0);
    }

    private static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) return -1;
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static int endpointCount(KubernetesClient kube, String ns) {
        ConfigMap cm = kube.configMaps()
                .inNamespace(ns)
                .withName(Labels.routingConfigMap("bench"))
                .get();
        if (cm == null || cm.getData() == null) return 0;
        return RoutingTables.parse(cm.getData().get(Labels.ROUTING_KEY))
                .map(RoutingTables::endpointCount)
                .orElse(0);
    }

    private static Set<String> routedPods(KubernetesClient kube, String ns) {
        ConfigMap cm = kube.configMaps()
                .inNamespace(ns)
                .withName(Labels.routingConfigMap("bench"))
                .get();
        Set<String> pods = new HashSet<>();
        RoutingTables.parse(cm.getData().get(Labels.ROUTING_KEY)).ifPresent(t -> t.getTasksList()
                .forEach(r -> r.getEndpointsList().forEach(e -> pods.add(e.getPod()))));
        return pods;
    }

    private static long readyWorkers(KubernetesClient kube, String ns) {
        return kube.resources(SlmWorker.class).inNamespace(ns).list().getItems().stream()
                .filter(w -> w.getStatus() != null
                        && w.getStatus().conditions.stream()
                                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
                .count();
    }

    private static void setReady(KubernetesClient kube, String ns, String pod, boolean ready) {
        kube.pods().inNamespace(ns).withName(pod).editStatus(p -> {
            p.getStatus().getConditions().stream()
                    .filter(c -> "Ready".equals(c.getType()))
                    .forEach(c -> c.setStatus(ready ? "True" : "False"));
            return p;
        });
    }

    private static void progress(String format, Object... args) {
        System.err.printf("[bench %s] %s%n", Instant.now(), String.format(format, args));
    }
}
