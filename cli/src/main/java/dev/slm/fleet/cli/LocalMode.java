package dev.slm.fleet.cli;

import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.contract.RoutingTableCodec;
import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.IntentDef;
import dev.slm.fleet.proto.v1.PipelineConfig;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskParameters;
import dev.slm.fleet.proto.v1.TaskRoute;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
 * Local mode: starts the workers and the router named in one config file as local processes on 127.0.0.1, waits for
 * them to be ready, writes the routing table file the router watches, then opens the chat. Every child process is
 * stopped on exit, Ctrl-C included.
 */
public final class LocalMode {

    record WorkerSpec(
            String name,
            String task,
            String model,
            String tokenizer,
            int grpcPort,
            int httpPort,
            boolean optional,
            boolean sessionAffine,
            String description,
            JsonObject parameters) {}

    private final Path root;
    private final Path runDir;
    private final JsonObject config;
    private final List<Process> children = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong tableVersion = new java.util.concurrent.atomic.AtomicLong();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    LocalMode(Path root, Path configFile) throws IOException {
        this.root = root;
        this.config = new JsonObject(Files.readString(configFile, StandardCharsets.UTF_8));
        this.runDir = root.resolve("router/target/local-run/" + config.getString("name", "local"));
        Files.createDirectories(runDir.resolve("logs"));
    }

    public static void main(String[] args) throws Exception {
        Path root =
                Path.of(System.getProperty("slm.root", ".")).toAbsolutePath().normalize();
        Path configFile = root.resolve("config/local/chatbot.json");
        String once = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> configFile = Path.of(args[++i]).toAbsolutePath();
                case "--once" -> once = args[++i];
                default -> {
                    System.err.println("unknown argument " + args[i]
                            + "\nusage: slm local [--config config/local/chatbot.json] [--once \"text\"]");
                    System.exit(2);
                }
            }
        }
        LocalMode local = new LocalMode(root, configFile);
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

    Fleet startFleet() throws Exception {
        List<WorkerSpec> workers = workers();
        Path pipelineFile = runDir.resolve("pipeline.json");
        Files.writeString(pipelineFile, JsonFormat.printer().print(pipelineConfig()));
        Path routingFile = runDir.resolve("routing-table.json");
        writeTable(routingFile, List.of());

        say("starting %d workers and the router (logs in %s)", workers.size(), root.relativize(runDir.resolve("logs")));
        Map<WorkerSpec, Process> started = new LinkedHashMap<>();
        for (WorkerSpec w : workers) {
            started.put(w, startWorker(w));
        }
        JsonObject router = config.getJsonObject("router", new JsonObject());
        int routerHttp = router.getInteger("httpPort", 18080);
        int routerGrpc = router.getInteger("grpcPort", 19080);
        List<String> routerProps = new ArrayList<>(List.of(
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.grpc.server.host=127.0.0.1",
                "-Dquarkus.http.port=" + routerHttp,
                "-Dquarkus.grpc.server.port=" + routerGrpc,
                "-Dslm.router.pipeline-file=" + pipelineFile,
                "-Dslm.router.routing.file=" + routingFile));
        config.getJsonArray("routerProperties", new JsonArray()).forEach(p -> routerProps.add(String.valueOf(p)));
        Process routerProcess =
                startJava("router", jar("router"), routerProps, config.getJsonArray("routerJvmArgs", jvmArgs()), 0);

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
                        "  ready  %-10s %-16s 127.0.0.1:%d  (%.1f s)%s",
                        w.name(),
                        w.task(),
                        w.grpcPort(),
                        (System.nanoTime() - t0) / 1e9,
                        w.description().isEmpty() ? "" : "  " + w.description());
            } else if (w.optional()) {
                missing.add(w.task());
                entry.getValue().destroy();
                say("  absent %-10s %-16s %s", w.name(), w.task(), failure);
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
            say("no generator is running: answers come from the rule-based fallback path (templates per intent).");
        }
        return new Fleet(routerHttp, routerGrpc, routingFile, ready, missing);
    }

    private List<WorkerSpec> workers() {
        List<WorkerSpec> out = new ArrayList<>();
        JsonArray array = config.getJsonArray("workers", new JsonArray());
        for (int i = 0; i < array.size(); i++) {
            JsonObject w = array.getJsonObject(i);
            out.add(new WorkerSpec(
                    w.getString("name"),
                    w.getString("task"),
                    w.getString("model", "builtin:all-minilm-l6-v2-q"),
                    w.getString("tokenizer"),
                    w.getInteger("grpcPort"),
                    w.getInteger("httpPort"),
                    w.getBoolean("optional", false),
                    w.getBoolean("sessionAffine", false),
                    w.getString("description", ""),
                    w.getJsonObject("parameters", new JsonObject())));
        }
        return out;
    }

    private List<IntentDef> intents() throws IOException {
        List<IntentDef> out = new ArrayList<>();
        JsonArray array = config.getJsonArray("intents", new JsonArray());
        for (int i = 0; i < array.size(); i++) {
            IntentDef.Builder b = IntentDef.newBuilder();
            JsonFormat.parser().merge(array.getJsonObject(i).encode(), b);
            out.add(b.build());
        }
        return out;
    }

    private PipelineConfig pipelineConfig() throws IOException {
        PipelineConfig.Builder b = PipelineConfig.newBuilder();
        JsonFormat.parser()
                .merge(config.getJsonObject("pipeline", new JsonObject()).encode(), b);
        b.setCluster(config.getString("name", "local"));
        for (IntentDef d : intents()) {
            if (!d.getFallbackTemplate().isEmpty() && !b.getFallback().containsTemplates(d.getName())) {
                b.getFallbackBuilder().putTemplates(d.getName(), d.getFallbackTemplate());
            }
        }
        return b.build();
    }

    private Process startWorker(WorkerSpec w) throws IOException {
        TaskParameters.Builder params = TaskParameters.newBuilder();
        JsonFormat.parser().merge(w.parameters().encode(), params);
        if (w.task().equals("classify-intent") && params.getIntentsCount() == 0) {
            params.addAllIntents(intents());
        }
        Path taskFile = runDir.resolve(w.name() + "-task.json");
        Files.writeString(taskFile, JsonFormat.printer().print(params.build()));
        List<String> props = new ArrayList<>(List.of(
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.grpc.server.host=127.0.0.1",
                "-Dquarkus.http.port=" + w.httpPort(),
                "-Dquarkus.grpc.server.port=" + w.grpcPort(),
                "-Dslm.worker.name=" + w.name(),
                "-Dslm.worker.task=" + w.task(),
                "-Dslm.worker.model.uri=" + resolve(w.model()),
                "-Dslm.worker.task-config-file=" + taskFile));
        if (w.tokenizer() != null) {
            props.add("-Dslm.worker.model.tokenizer-uri=" + resolve(w.tokenizer()));
        }
        return startJava(w.name(), jar("worker"), props, jvmArgs(), config.getInteger("workerNice", 0));
    }

    private static final java.util.Optional<Path> NICE = java.util.stream.Stream.of("/usr/bin/nice", "/bin/nice")
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst();

    private JsonArray jvmArgs() {
        return config.getJsonArray("jvmArgs", new JsonArray());
    }

    private String resolve(String uri) {
        if (uri.contains(":") && !uri.startsWith("/")) {
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
    private Process startJava(String name, Path jar, List<String> props, JsonArray jvmArgs, int nice)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        if (nice > 0 && NICE.isPresent()) {
            cmd.addAll(List.of(NICE.get().toString(), "-n", Integer.toString(nice)));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        jvmArgs.forEach(a -> cmd.add(String.valueOf(a)));
        cmd.addAll(props);
        cmd.add("-jar");
        cmd.add(jar.toString());
        Path log = runDir.resolve("logs").resolve(name + ".log");
        Process p = new ProcessBuilder(cmd)
                .directory(root.toFile())
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

    /** Writes the table atomically; returns its version (monotonic per run). */
    long writeTable(Path file, List<WorkerSpec> ready) throws IOException {
        Map<String, TaskRoute.Builder> routes = new LinkedHashMap<>();
        for (WorkerSpec w : ready) {
            TaskRoute.Builder r =
                    routes.computeIfAbsent(w.task(), t -> TaskRoute.newBuilder().setTask(t));
            r.setSessionAffine(r.getSessionAffine() || w.sessionAffine());
            r.addEndpoints(Endpoint.newBuilder()
                    .setAddress("127.0.0.1:" + w.grpcPort())
                    .setPod(w.name())
                    .setNode("localhost")
                    .setWorker(w.name())
                    .setWeight(1));
        }
        RoutingTable.Builder table = RoutingTable.newBuilder()
                .setCluster(config.getString("name", "local"))
                .setNamespace("local")
                .setVersion(tableVersion.incrementAndGet());
        routes.values().forEach(table::addTasks);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, RoutingTableCodec.toJson(table.build()));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return tableVersion.get();
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
