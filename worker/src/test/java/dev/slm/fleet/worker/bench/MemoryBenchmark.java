package dev.slm.fleet.worker.bench;

import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.worker.bench.WorkerBenchmark.Result;
import dev.slm.fleet.worker.bench.WorkerBenchmark.Worker;
import dev.slm.fleet.worker.model.ModelSource;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Worker resident memory (not a test): the packaged MiniLM classify-intent worker under several JVM/glibc settings
 * and a plain Python gRPC worker on the same model and task (worker/scripts/py_classify_worker.py), each given the
 * same load (8 clients), then VmRSS, VmHWM and the JVM's own heap/non-heap figures. Run: {@code
 * worker/scripts/bench-worker.sh memory [-Dbench.python=/path/to/python3]}. Sequential: resident memory does not
 * drift with the machine's speed as latency does.
 */
public final class MemoryBenchmark {

    static final double LOAD_SECONDS = Double.parseDouble(System.getProperty("bench.load-seconds", "10"));

    record Variant(String name, List<String> jvmArgs, Map<String, String> env) {}

    static final List<String> TRIMMED = List.of(
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xmx384m",
            "-Xms16m",
            "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=30",
            "-Xss512k",
            "-XX:ReservedCodeCacheSize=32m",
            "-XX:CICompilerCount=1",
            "-XX:MaxMetaspaceSize=128m");

    static final List<Variant> VARIANTS = List.of(
            new Variant(
                    "local mode before (SerialGC, -Xmx384m, C1)",
                    List.of("-XX:+UseSerialGC", "-Xmx384m", "-XX:TieredStopAtLevel=1"),
                    Map.of()),
            new Variant(
                    "image before (C1, MaxRAMPercentage=75, default GC)",
                    List.of("-XX:TieredStopAtLevel=1", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError"),
                    Map.of()),
            new Variant(
                    "glibc arenas capped (local mode's flags, MALLOC_ARENA_MAX=2)",
                    List.of("-XX:+UseSerialGC", "-Xmx384m", "-XX:TieredStopAtLevel=1"),
                    Map.of("MALLOC_ARENA_MAX", "2")),
            new Variant(
                    "trimmed (SerialGC, heap shrinks, small stacks/code cache/metaspace, 1 JIT thread, arenas 2)",
                    TRIMMED,
                    Map.of("MALLOC_ARENA_MAX", "2")));

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args.length > 0 ? args[0] : "worker/target/quarkus-app/quarkus-run.jar");
        Path resources = Path.of(args.length > 1 ? args[1] : "worker/src/test/resources");
        Path intents = resources.resolve("config/intents.json").toAbsolutePath();
        System.out.printf(
                "# memory benchmark: %d cores, Java %s, %.0f s of 8-client Classify per worker%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), LOAD_SECONDS);
        List<String> rows = new ArrayList<>();
        for (Variant v : VARIANTS) {
            Worker w = Worker.start(
                    jar,
                    "classify-intent",
                    Map.of("slm.worker.task-config-file", intents.toString(), "slm.worker.threads.intra-op", "1"),
                    v.jvmArgs(),
                    v.env());
            try {
                Result r = load(w.grpcPort);
                String metrics = w.scrape();
                rows.add(String.format(
                        Locale.ROOT,
                        "| %s | %d | %d | %.0f | %.0f | %.0f | %.0f |",
                        v.name(),
                        status(w.process.pid(), "VmRSS:"),
                        status(w.process.pid(), "VmHWM:"),
                        sum(metrics, "jvm_memory_used_bytes", "area=\"heap\"") / 1048576,
                        sum(metrics, "jvm_memory_committed_bytes", "area=\"heap\"") / 1048576,
                        sum(metrics, "jvm_memory_committed_bytes", "area=\"nonheap\"") / 1048576,
                        r.throughput()));
            } finally {
                w.stop();
            }
        }
        String python = System.getProperty("bench.python", "");
        if (!python.isEmpty()) {
            rows.add(pythonRow(python, resources, intents));
        }
        System.out.println();
        System.out.println(
                "| worker | VmRSS MiB | VmHWM MiB | heap used MiB | heap committed MiB | non-heap committed MiB | req/s |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        rows.forEach(System.out::println);
    }

    private static String pythonRow(String python, Path resources, Path intents) throws Exception {
        Path dir = Files.createTempDirectory("py-worker");
        Path model = dir.resolve("model.onnx");
        Path tokenizer = dir.resolve("tokenizer.json");
        Files.write(model, ModelSource.read(ModelSource.BUILTIN_MINILM));
        Files.write(tokenizer, ModelSource.read("classpath:all-minilm-l6-v2-q-tokenizer.json"));
        int port = Worker.freePort();
        File log = File.createTempFile("bench-py-worker", ".log");
        Process p = new ProcessBuilder(
                        python,
                        Path.of("worker/scripts/py_classify_worker.py").toString(),
                        String.valueOf(port),
                        model.toString(),
                        tokenizer.toString(),
                        intents.toString(),
                        Path.of("proto/src/main/proto").toString())
                .redirectErrorStream(true)
                .redirectOutput(log)
                .start();
        System.out.printf("# started the Python worker (gRPC %d), log %s%n", port, log);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            ManagedChannel ch = channel(port);
            while (true) {
                try {
                    InferenceServiceGrpc.newBlockingStub(ch)
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .classify(request());
                    break;
                } catch (RuntimeException notYet) {
                    if (System.nanoTime() > deadline || !p.isAlive()) {
                        throw new IllegalStateException("the Python worker did not answer; see " + log);
                    }
                    Thread.sleep(200);
                }
            }
            ch.shutdownNow();
            Result r = load(port);
            return String.format(
                    Locale.ROOT,
                    "| plain Python gRPC worker (grpcio, onnxruntime, tokenizers; same model and task) | %d | %d | | | |"
                            + " %.0f |",
                    status(p.pid(), "VmRSS:"),
                    status(p.pid(), "VmHWM:"),
                    r.throughput());
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static ClassifyRequest request() {
        return ClassifyRequest.newBuilder()
                .setText(WorkerBenchmark.UTTERANCE)
                .setMeta(RequestMeta.newBuilder().setSessionId("bench").setPriority(Priority.PRIORITY_STANDARD))
                .build();
    }

    private static ManagedChannel channel(int port) {
        return ManagedChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .build();
    }

    private static Result load(int port) throws InterruptedException {
        ManagedChannel ch = channel(port);
        try {
            var stub = InferenceServiceGrpc.newBlockingStub(ch);
            ClassifyRequest req = request();
            return WorkerBenchmark.measure(8, () -> () -> stub.classify(req), 1, LOAD_SECONDS)
                    .result("", 8);
        } finally {
            ch.shutdownNow();
        }
    }

    static long status(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    /** Sum of a Prometheus metric's samples whose labels contain {@code label}. */
    static double sum(String metrics, String name, String label) {
        double total = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(label)) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }
}
