package dev.slm.fleet.cli;

import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.contract.ConfigCodec;
import dev.slm.fleet.contract.EndpointAddress;
import dev.slm.fleet.contract.FleetCompiler;
import dev.slm.fleet.contract.FleetManifest;
import dev.slm.fleet.contract.RoutingTableCodec;
import dev.slm.fleet.contract.WorkerEnv;
import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.PipelineConfig;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.StageGroup;
import dev.slm.fleet.proto.v1.TaskRoute;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Local mode: runs the YAML a cluster gets (one SlmCluster, its SlmWorkers, ConfigMaps) as local processes on
 * 127.0.0.1. The same compile step as the operator turns it into the router's pipeline file and each worker's task
 * parameters; one process per SlmWorker (replicas and hardware placement are the cluster's business). Waits for them
 * to be ready, writes the routing table file the router watches, then opens the chat. Every child process is stopped
 * on exit, Ctrl-C included. Only local knobs (ports, nice, JVM options) come from flags.
 */
public final class LocalMode {

    static final String DEFAULT_FILE = "config/samples/chatbot.yaml";
    static final List<String> DEFAULT_JVM_ARGS = List.of("-XX:+UseSerialGC", "-Xmx384m", "-XX:TieredStopAtLevel=1");

    /** Local-only settings: none of them is part of the fleet's model. */
    /** {@code uds}: the router reaches the workers over Unix domain sockets in the run directory instead of TCP. */
    record Options(int routerHttp, int routerGrpc, int workerPortBase, int nice, List<String> jvmArgs, boolean uds) {
        static Options defaults() {
            return new Options(18080, 19080, 19101, 10, DEFAULT_JVM_ARGS, false);
        }
    }

    /** One worker process: its SlmWorker, its ports, and whether the pipeline can do without it. */
    record WorkerSpec(SlmWorker worker, int grpcPort, int httpPort, boolean optional) {
        String name() {
            return worker.getMetadata().getName();
        }

        String task() {
            return worker.getSpec().task.value();
        }
    }

    private final Path root;
    private final Path runDir;
    private final FleetManifest manifest;
    private final Options options;
    private final List<Process> children = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong tableVersion = new java.util.concurrent.atomic.AtomicLong();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    LocalMode(Path root, Path file, Options options) throws IOException {
        this.root = root;
        this.options = options;
        this.manifest = FleetManifest.parse(Files.readString(file, StandardCharsets.UTF_8));
        this.runDir = root.resolve(
                "cli/target/local-run/" + manifest.cluster().getMetadata().getName());
        Files.createDirectories(runDir.resolve("logs"));
    }

    public static void main(String[] args) throws Exception {
        Path root =
                Path.of(System.getProperty("slm.root", ".")).toAbsolutePath().normalize();
        Path file = root.resolve(DEFAULT_FILE);
        String once = null;
        Options d = Options.defaults();
        int http = d.routerHttp(), grpc = d.routerGrpc(), base = d.workerPortBase(), nice = d.nice();
        boolean uds = false;
        List<String> jvmArgs = new ArrayList<>();
        String usage = "usage: slm local [FILE.yaml (default " + DEFAULT_FILE + ")] [--once \"text\"] [--http-port N]"
                + " [--grpc-port N] [--worker-port-base N] [--nice N] [--jvm-arg ARG]... [--uds]";
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--once" -> once = args[++i];
                    case "--http-port" -> http = Integer.parseInt(args[++i]);
                    case "--grpc-port" -> grpc = Integer.parseInt(args[++i]);
                    case "--worker-port-base" -> base = Integer.parseInt(args[++i]);
                    case "--nice" -> nice = Integer.parseInt(args[++i]);
                    case "--jvm-arg" -> jvmArgs.add(args[++i]);
                    case "--uds" -> uds = true;
                    case "-h", "--help" -> {
                        System.out.println(usage);
                        System.exit(0);
                    }
                    default -> {
                        if (args[i].startsWith("--")) throw new IllegalArgumentException("unknown flag " + args[i]);
                        file = Path.of(args[i]).isAbsolute() ? Path.of(args[i]) : root.resolve(args[i]);
                    }
                }
            }
        } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
            System.err.println((e.getMessage() == null ? "" : e.getMessage() + "\n") + usage);
            System.exit(2);
        }
        LocalMode local;
        try {
            local = new LocalMode(
                    root,
                    file,
                    new Options(http, grpc, base, nice, jvmArgs.isEmpty() ? DEFAULT_JVM_ARGS : jvmArgs, uds));
        } catch (IllegalArgumentException e) {
            System.err.println(root.relativize(file.toAbsolutePath()) + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(local::stopAll, "stop-children"));
        int rc;
        try {
            rc = local.run(once);
        } catch (StartupFailed e) {
            System.err.println("local mode failed: " + e.getMessage());
            rc = 1;
        }
        local.stopAll();
        System.exit(rc);
    }

    /** What is running once local mode is up. */
    record Fleet(int routerHttp, int routerGrpc, Path routingFile, List<WorkerSpec> ready, List<String> missing) {}

    int run(String once) throws Exception {
        Fleet fleet = startFleet();
        try (ChatClient chat = new ChatClient("127.0.0.1:" + fleet.routerGrpc(), System.out)) {
            if (once != null) {
                say("you> %s", once);
                return chat.ask(once, Priority.PRIORITY_STANDARD) ? 0 : 1;
            }
            boolean interactive = System.console() != null;
            if (interactive) {
                say("type a message (exit or Ctrl-D to stop; Ctrl-C stops everything)");
            }
            return chat.repl(interactive) == 0 ? 0 : 1;
        }
    }

    /** The router's pipeline, compiled from the file exactly as the operator compiles it. */
    PipelineConfig pipelineConfig() {
        return manifest.pipeline();
    }

    Fleet startFleet() throws Exception {
        List<WorkerSpec> workers = workers();
        Path pipelineFile = runDir.resolve("pipeline.json");
        Files.writeString(pipelineFile, ConfigCodec.json(pipelineConfig()));
        Path routingFile = runDir.resolve("routing-table.json");
        writeTable(routingFile, List.of());

        say(
                "%s: starting %d workers and the router (logs in %s)",
                manifest.cluster().getMetadata().getName(), workers.size(), root.relativize(runDir.resolve("logs")));
        Map<WorkerSpec, Process> started = new LinkedHashMap<>();
        for (WorkerSpec w : workers) {
            started.put(w, startWorker(w));
        }
        int routerHttp = options.routerHttp();
        int routerGrpc = options.routerGrpc();
        List<String> routerProps = new ArrayList<>(List.of(
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.grpc.server.host=127.0.0.1",
                "-Dquarkus.http.port=" + routerHttp,
                "-Dquarkus.grpc.server.port=" + routerGrpc,
                "-Dslm.router.pipeline-file=" + pipelineFile,
                "-Dslm.router.routing.file=" + routingFile));
        Process routerProcess = startJava("router", jar("router"), routerProps, Map.of(), 0);

        List<WorkerSpec> ready = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (var entry : started.entrySet()) {
            WorkerSpec w = entry.getKey();
            long t0 = System.nanoTime();
            String failure = awaitReady(w.name(), entry.getValue(), w.httpPort(), Duration.ofSeconds(240));
            if (failure == null) {
                ready.add(w);
                writeTable(routingFile, ready);
                say(
                        "  ready  %-10s %-16s 127.0.0.1:%d  (%.1f s)",
                        w.name(), w.task(), w.grpcPort(), (System.nanoTime() - t0) / 1e9);
            } else if (w.optional()) {
                missing.add(w.task());
                entry.getValue().destroy();
                say(
                        "  absent %-10s %-16s %s",
                        w.name(), w.task(), failure.lines().findFirst().orElse(""));
            } else {
                throw new StartupFailed(w.name() + ": " + failure);
            }
        }
        String routerFailure = awaitReady("router", routerProcess, routerHttp, Duration.ofSeconds(120));
        if (routerFailure != null) {
            throw new StartupFailed("router: " + routerFailure);
        }
        say(
                "  ready  router     OpenAI API http://127.0.0.1:%d/v1/chat/completions, gRPC 127.0.0.1:%d, metrics "
                        + "http://127.0.0.1:%d/q/metrics",
                routerHttp, routerGrpc, routerHttp);
        if (missing.contains("generate")) {
            say("no generator is running: answers come from the rule-based fallback path, and say so.");
        }
        return new Fleet(routerHttp, routerGrpc, routingFile, ready, missing);
    }

    /** One process per SlmWorker, in file order; a worker is optional when every stage using its task is. */
    List<WorkerSpec> workers() {
        List<StageGroup> stages = pipelineConfig().getStagesList();
        List<WorkerSpec> out = new ArrayList<>();
        int i = 0;
        for (SlmWorker w : manifest.workers()) {
            String task = w.getSpec().task.value();
            boolean optional =
                    stages.stream().filter(g -> g.getTasksList().contains(task)).allMatch(StageGroup::getOptional);
            int grpc = options.workerPortBase() + i;
            out.add(new WorkerSpec(w, grpc, grpc - 1000, optional));
            i++;
        }
        return out;
    }

    private Process startWorker(WorkerSpec w) throws IOException {
        Path taskFile = runDir.resolve(w.name() + "-task.json");
        Files.writeString(taskFile, ConfigCodec.json(FleetCompiler.taskParameters(w.worker())));
        var model = w.worker().getSpec().model;
        Map<String, String> env = new LinkedHashMap<>(WorkerEnv.of(
                w.worker(),
                new WorkerEnv.Location(
                        resolve(model.uri),
                        model.tokenizerUri == null ? null : resolve(model.tokenizerUri),
                        taskFile.toString(),
                        "127.0.0.1"),
                WorkerEnv.Hardware.cpu("cpu")));
        env.put("MALLOC_ARENA_MAX", "2"); // as the worker image: docs/benchmarks.md, "Worker: resident memory"
        List<String> props = new ArrayList<>(List.of(
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.grpc.server.host=127.0.0.1",
                "-Dquarkus.http.port=" + w.httpPort(),
                "-Dquarkus.grpc.server.port=" + w.grpcPort()));
        if (options.uds()) {
            props.add("-Dslm.worker.grpc.uds-path=" + socket(w));
        }
        return startJava(w.name(), jar("worker"), props, env, options.nice());
    }

    private static final java.util.Optional<Path> NICE = java.util.stream.Stream.of("/usr/bin/nice", "/bin/nice")
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst();

    /** Where pods mount the prepared models; locally that is worker/scripts/prepare-models' cache. */
    static final String MODELS_MOUNT = "file:/models/";

    /**
     * Relative paths (and file: URIs with relative paths) are relative to the repository root; file:/models/… is
     * $SLM_FLEET_CACHE/models/… (default ~/.cache/slm-fleet), where `make models` prepares them.
     */
    private String resolve(String uri) {
        if (uri == null) {
            throw new StartupFailed("a worker has no spec.model.uri (local mode cannot mount spec.model.volume)");
        }
        if (uri.startsWith(MODELS_MOUNT)) {
            String cache = System.getenv()
                    .getOrDefault("SLM_FLEET_CACHE", System.getProperty("user.home") + "/.cache/slm-fleet");
            return "file:" + Path.of(cache, "models", uri.substring(MODELS_MOUNT.length()));
        }
        if (uri.startsWith("file:") && !uri.startsWith("file:/")) {
            return "file:" + root.resolve(uri.substring(5));
        }
        if (uri.contains(":") || uri.startsWith("/")) {
            return uri;
        }
        return root.resolve(uri).toString();
    }

    private Path jar(String module) {
        Path jar = root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new StartupFailed(jar + " is missing; build it with ./mvnw -q -pl " + module
                    + " -am package -DskipTests (./slm does this for you)");
        }
        return jar;
    }

    /**
     * @param nice OS scheduling niceness for the child (0 = as this process). On one small machine the workers'
     *             inference threads can take every core; a router that waits for CPU behind them makes its
     *             admission and shed decisions late. In a cluster the pods' CPU requests do the same job.
     */
    private Process startJava(String name, Path jar, List<String> props, Map<String, String> env, int nice)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        if (nice > 0 && NICE.isPresent()) {
            cmd.addAll(List.of(NICE.get().toString(), "-n", Integer.toString(nice)));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(options.jvmArgs());
        cmd.addAll(props);
        cmd.add("-jar");
        cmd.add(jar.toString());
        Path log = runDir.resolve("logs").resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        synchronized (children) {
            children.add(p);
        }
        return p;
    }

    /** Polls /q/health/ready until UP; returns null when ready, or why not. */
    private String awaitReady(String name, Process p, int httpPort, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        URI uri = URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready");
        long lastNote = System.nanoTime();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                return "process exited with code " + p.exitValue() + "; last log lines:\n" + tail(name);
            }
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return null;
                }
                if (r.body().contains("\"FAILED\"")) {
                    return "failed to load its model: " + r.body();
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() - lastNote > 10_000_000_000L) {
                say("  waiting for %s ...", name);
                lastNote = System.nanoTime();
            }
            Thread.sleep(200); // polling interval while a child process starts
        }
        return "not ready within " + timeout.toSeconds() + " s; last log lines:\n" + tail(name);
    }

    private String tail(String name) {
        try {
            List<String> lines = Files.readAllLines(runDir.resolve("logs").resolve(name + ".log"));
            return String.join(
                    "\n",
                    lines.subList(Math.max(0, lines.size() - 8), lines.size()).stream()
                            .map(l -> l.length() > 400 ? l.substring(0, 400) + " …" : l)
                            .toList());
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** A worker's Unix domain socket in the run directory (--uds). */
    Path socket(WorkerSpec w) {
        return runDir.resolve("sock").resolve(w.name() + ".sock").toAbsolutePath();
    }

    /** The table the operator would write for these ready workers: the compiled routes plus their endpoints. */
    RoutingTable table(List<WorkerSpec> ready) {
        RoutingTable.Builder table = RoutingTable.newBuilder()
                .setCluster(manifest.cluster().getMetadata().getName())
                .setNamespace("local")
                .setVersion(tableVersion.incrementAndGet());
        for (TaskRoute route : FleetCompiler.routes(manifest.workers())) {
            TaskRoute.Builder r = route.toBuilder();
            for (WorkerSpec w : ready) {
                if (w.task().equals(route.getTask())) {
                    r.addEndpoints(Endpoint.newBuilder()
                            .setAddress(
                                    options.uds()
                                            ? EndpointAddress.unix(socket(w).toString())
                                            : RoutingTableCodec.address("127.0.0.1", w.grpcPort()))
                            .setPod(w.name())
                            .setNode("localhost")
                            .setHardwareClass("cpu")
                            .setWorker(w.name())
                            .setWeight(1));
                }
            }
            table.addTasks(r);
        }
        return table.setContentHash(RoutingTableCodec.contentHash(table.getTasksList()))
                .build();
    }

    /** Writes the table atomically; returns its version (monotonic per run). */
    long writeTable(Path file, List<WorkerSpec> ready) throws IOException {
        RoutingTable table = table(ready);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, RoutingTableCodec.toJson(table));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return table.getVersion();
    }

    void stopAll() {
        List<Process> toStop;
        synchronized (children) {
            toStop = new ArrayList<>(children);
            children.clear();
        }
        toStop.forEach(Process::destroy);
        for (Process p : toStop) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
    }

    static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
        System.out.flush();
    }

    static final class StartupFailed extends RuntimeException {
        StartupFailed(String message) {
            super(message);
        }
    }
}
