package dev.slm.fleet.router.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A real worker process (the worker module's runnable jar) on 127.0.0.1, for tests that need the real thing. */
public final class WorkerProcess implements AutoCloseable {

    public static final Path JAR = Path.of("../worker/target/quarkus-app/quarkus-run.jar");

    private final Process process;
    private final int grpcPort;
    private final int httpPort;
    private final Path log;

    private WorkerProcess(Process process, int grpcPort, int httpPort, Path log) {
        this.process = process;
        this.grpcPort = grpcPort;
        this.httpPort = httpPort;
        this.log = log;
    }

    /** sha256 of the PII tagger worker/scripts/prepare-models prepares (arcjet rampart model_q4.onnx, 1.4.0). */
    public static final String PII_TAGGER_SHA256 = "9f27d24949b0581701071ea5ef522d77ccd3f50c525cc91eac4d265b0fc2afe5";

    /** The prepared PII tagger's model file; fails with the command to run when it is not prepared. */
    public static Path piiTagger() {
        Path model = Path.of(System.getenv()
                        .getOrDefault("SLM_FLEET_CACHE", System.getProperty("user.home") + "/.cache/slm-fleet"))
                .resolve("models/rampart-pii/model.onnx");
        if (!Files.isRegularFile(model)) {
            throw new IllegalStateException("the PII tagger is not prepared at " + model
                    + "; run `make models` (worker/scripts/prepare-models) once, then rerun the tests");
        }
        return model;
    }

    public static WorkerProcess start(String name, String task, String... properties) throws IOException {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR.toAbsolutePath() + " is missing: build the worker first "
                    + "(./mvnw -B -pl worker -am package -DskipTests, or run the whole reactor)");
        }
        int grpc = freePort();
        int http = freePort();
        Path log = Path.of("target/worker-logs/" + name + ".log");
        Files.createDirectories(log.getParent());
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.grpc.server.host=127.0.0.1",
                "-Dquarkus.http.port=" + http,
                "-Dquarkus.grpc.server.port=" + grpc,
                "-Dslm.worker.name=" + name,
                "-Dslm.worker.task=" + task));
        cmd.addAll(List.of(properties));
        cmd.addAll(List.of("-jar", JAR.toString()));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new WorkerProcess(p, grpc, http, log);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public WorkerProcess awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newHttpClient();
        URI ready = URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready");
        await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("worker exited: " + Files.readString(log));
            }
            try {
                HttpResponse<String> r =
                        http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString());
                if (r.body().contains("\"FAILED\"")) {
                    throw new IllegalStateException("worker failed to load its model: " + r.body());
                }
                return r.statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
        return this;
    }

    /** What the process wrote (stdout and stderr). */
    public Path log() {
        return log;
    }

    public String address() {
        return "127.0.0.1:" + grpcPort;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Kills the process the hard way, as a crashed pod would go. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
