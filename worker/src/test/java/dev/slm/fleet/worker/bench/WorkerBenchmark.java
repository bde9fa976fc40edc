package dev.slm.fleet.worker.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.GenerateChunk;
import dev.slm.fleet.proto.v1.GenerateRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoader;
import dev.slm.fleet.worker.model.ModelSource;
import dev.slm.fleet.worker.model.ModelSpec;
import dev.slm.fleet.worker.model.TextTokenizer;
import dev.slm.fleet.worker.task.FewShotIntentClassifier;
import dev.slm.fleet.worker.task.Limits;
import dev.slm.fleet.worker.task.SentenceEmbedder;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load generator (not a test): raw ONNX Runtime session.run in-process vs. the worker's Classify over gRPC on
 * loopback, MiniLM int8, one intra-op thread, 16-token utterances, at 1/8/32 concurrent clients; then TTFT and
 * tokens/s of the tiny generator, and model load + warm-up times. Starts the workers from
 * target/quarkus-app/quarkus-run.jar with the JVM options local mode gives them. Run:
 * worker/scripts/bench-worker.sh (from the repo root).
 *
 * <p>Raw, in-process engine and gRPC are measured in interleaved blocks at each concurrency, so that the drift of a
 * shared machine (its speed moved by 30% within minutes on the 2-core development VM) hits all three alike.
 * System properties: bench.blocks (blocks per path and concurrency, default 4), bench.block-seconds (default 1.5),
 * bench.grpc-warmup (seconds of load on the worker before the first measurement, default 30),
 * bench.worker-args (JVM options of the worker processes, space separated; default as local mode).
 */
public final class WorkerBenchmark {

    static final String UTTERANCE = "hello , where is my order 12345 ? i ordered it last friday please";
    static final int[] CONCURRENCY = {1, 8, 32};
    static final int BLOCKS = Integer.getInteger("bench.blocks", 4);
    static final double BLOCK_SECONDS = Double.parseDouble(System.getProperty("bench.block-seconds", "1.5"));
    static final double WARMUP = 0.3;
    /** The worker's JVM compiles its request path (gRPC, Netty, Quarkus) for tens of seconds on 2 cores. */
    static final double GRPC_WARMUP = Double.parseDouble(System.getProperty("bench.grpc-warmup", "30"));
    /** As config/local/chatbot.json runs the workers: the hot path is native ONNX Runtime, C1 code is enough. */
    static final String WORKER_ARGS =
            System.getProperty("bench.worker-args", "-XX:+UseSerialGC -Xmx384m -XX:TieredStopAtLevel=1");

    record Result(String name, int clients, long calls, double seconds, double p50, double p99) {
        double throughput() {
            return calls / seconds;
        }
    }

    /** Latencies (ns) of one path's calls and the wall time they were measured over; blocks add up. */
    record Samples(long[] nanos, double seconds) {
        static final Samples NONE = new Samples(new long[0], 0);

        Samples plus(Samples other) {
            long[] all = Arrays.copyOf(nanos, nanos.length + other.nanos.length);
            System.arraycopy(other.nanos, 0, all, nanos.length, other.nanos.length);
            return new Samples(all, seconds + other.seconds);
        }

        Result result(String name, int clients) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return new Result(name, clients, sorted.length, seconds, pct(sorted, 50), pct(sorted, 99));
        }
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args.length > 0 ? args[0] : "worker/target/quarkus-app/quarkus-run.jar");
        Path resources = Path.of(args.length > 1 ? args[1] : "worker/src/test/resources");
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf(
                "# worker benchmark: %d cores, Java %s, %d interleaved blocks of %.1f s per path and concurrency%n",
                cores, System.getProperty("java.version"), BLOCKS, BLOCK_SECONDS);
        System.out.printf("# worker JVM options: %s%n", WORKER_ARGS);

        List<Result> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Worker classify = Worker.start(
                jar,
                "classify-intent",
                Map.of(
                        "slm.worker.task-config-file",
                                resources.resolve("config/intents.json").toString(),
                        "slm.worker.threads.intra-op", "1",
                        "slm.worker.queue.standard", "256"));
        try (LoadedModel model = ModelLoader.load(ModelSpec.of(ModelSource.BUILTIN_MINILM))) {
            TextTokenizer.Tokens toks = model.tokenizer().encode(UTTERANCE);
            System.out.printf("# utterance: \"%s\" = %d tokens%n", UTTERANCE, toks.length());
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put("input_ids", OnnxTensor.createTensor(env, new long[][] {toks.ids()}));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, new long[][] {toks.attentionMask()}));
            inputs.put("token_type_ids", OnnxTensor.createTensor(env, new long[][] {new long[toks.length()]}));
            OrtSession session = model.session();
            Runnable raw = () -> {
                try {
                    session.run(inputs).close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            FewShotIntentClassifier engine = new FewShotIntentClassifier(
                    new SentenceEmbedder(model, Limits.defaults()),
                    TaskParametersFile.intents(resources.resolve("config/intents.json")),
                    0.5f);

            ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", classify.grpcPort)
                    .usePlaintext()
                    .build();
            InferenceServiceGrpc.InferenceServiceBlockingStub stub = InferenceServiceGrpc.newBlockingStub(ch);
            ClassifyRequest req = ClassifyRequest.newBuilder()
                    .setText(UTTERANCE)
                    .setMeta(RequestMeta.newBuilder().setSessionId("bench").setPriority(Priority.PRIORITY_STANDARD))
                    .build();
            System.out.printf(
                    "# classify answer: %s%n", stub.classify(req).toString().replace('\n', ' '));
            System.out.printf("# warming the worker's request path for %.0f s (8 clients) ...%n", GRPC_WARMUP);
            measure(8, () -> () -> stub.classify(req), 0, GRPC_WARMUP);
            for (int i = 0; i < 3; i++) {
                measure(8, () -> raw, 0, 0.5);
                measure(8, () -> () -> engine.classify(UTTERANCE, 3), 0, 0.5);
            }

            ProcessHandle workerProcess = classify.process.toHandle();
            for (int c : CONCURRENCY) {
                System.out.printf("# %d clients: raw, engine and gRPC in %d interleaved blocks ...%n", c, BLOCKS);
                Samples r = Samples.NONE;
                Samples e = Samples.NONE;
                Samples g = Samples.NONE;
                long workerCpu = 0;
                long clientCpu = 0;
                double queue = 0;
                double inference = 0;
                for (int b = 0; b < BLOCKS; b++) {
                    r = r.plus(measure(c, () -> raw, WARMUP, BLOCK_SECONDS));
                    e = e.plus(measure(c, () -> () -> engine.classify(UTTERANCE, 3), WARMUP, BLOCK_SECONDS));
                    String before = classify.scrape();
                    long w0 = cpuNanos(workerProcess);
                    long c0 = cpuNanos(ProcessHandle.current());
                    // no warm-up window here: the worker's counters must cover exactly the measured calls
                    g = g.plus(measure(c, () -> () -> stub.classify(req), 0, BLOCK_SECONDS));
                    workerCpu += cpuNanos(workerProcess) - w0;
                    clientCpu += cpuNanos(ProcessHandle.current()) - c0;
                    String after = classify.scrape();
                    queue += Worker.meanMillis(before, after, "worker_queue_wait_seconds") / BLOCKS;
                    inference += Worker.meanMillis(before, after, "worker_inference_seconds") / BLOCKS;
                }
                results.add(r.result("raw ORT session.run", c));
                results.add(e.result("in-process engine (tokenize+run+pool+cosine)", c));
                results.add(g.result("worker Classify over gRPC", c));
                notes.add(String.format(
                        Locale.ROOT,
                        "# clients=%d: in the worker, mean queue wait %.3f ms, mean inference %.3f ms;"
                                + " CPU per gRPC request: worker %.3f ms, load generator %.3f ms",
                        c,
                        queue,
                        inference,
                        workerCpu / 1e6 / g.nanos().length,
                        clientCpu / 1e6 / g.nanos().length));
            }

            System.out.println("# where one client's time goes ...");
            int n = 1500;
            double[] outside = new double[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                ClassifyResponse resp = stub.classify(req);
                outside[i] = (System.nanoTime() - t0) / 1e6 - resp.getLatencyMs();
            }
            Arrays.sort(outside);
            notes.add(String.format(
                    Locale.ROOT,
                    "# clients=1: client round trip minus the worker's own latency_ms"
                            + " (transport and wake-ups outside admission..response): p50 %.3f ms, p99 %.3f ms",
                    outside[n / 2],
                    outside[(int) (n * 0.99)]));
            DescribeRequest describe = DescribeRequest.getDefaultInstance();
            results.add(run(
                    "worker Describe over gRPC, back to back (transport only)",
                    1,
                    () -> () -> stub.describe(describe)));
            long gapNanos = (long) (results.get(0).p50() * 1e6);
            results.add(runSelfTimed(
                    String.format(
                            Locale.ROOT,
                            "worker Describe over gRPC after %.1f ms idle (transport + wake-ups)",
                            gapNanos / 1e6),
                    1,
                    () -> {
                        LockSupport.parkNanos(gapNanos);
                        long t0 = System.nanoTime();
                        stub.describe(describe);
                        return System.nanoTime() - t0;
                    }));
            ch.shutdownNow();
            String metrics = classify.scrape();
            notes.add(String.format(
                    Locale.ROOT,
                    "# server-side mean latency (request_latency_seconds sum/count, all calls, queue included): %.3f ms",
                    1000
                            * Worker.gauge(metrics, "request_latency_seconds_sum")
                            / Worker.gauge(metrics, "request_latency_seconds_count")));
        } finally {
            classify.stop();
        }

        System.out.println();
        System.out.println("| path | clients | calls | throughput (req/s) | p50 (ms) | p99 (ms) |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (Result r : results) {
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %d | %d | %.0f | %.3f | %.3f |%n",
                    r.name(),
                    r.clients(),
                    r.calls(),
                    r.throughput(),
                    r.p50(),
                    r.p99());
        }
        System.out.println();
        notes.forEach(System.out::println);
        for (int i = 0; i < CONCURRENCY.length; i++) {
            Result raw = results.get(3 * i);
            Result grpc = results.get(3 * i + 2);
            System.out.printf(
                    Locale.ROOT,
                    "# clients=%d: gRPC p99 - raw p99 = %+.3f ms (p50 %+.3f ms); gRPC throughput = %.0f%% of raw%n",
                    raw.clients(),
                    grpc.p99() - raw.p99(),
                    grpc.p50() - raw.p50(),
                    100 * grpc.throughput() / raw.throughput());
        }
        System.out.printf(
                Locale.ROOT,
                "# MiniLM worker: model load %.0f ms, warm-up %.0f ms (from /q/metrics)%n",
                classify.loadSeconds * 1000,
                classify.warmupSeconds * 1000);

        Worker gen = Worker.start(
                jar,
                "generate",
                Map.of(
                        "slm.worker.model.uri",
                                resources.resolve("models/tiny-lm.onnx").toString(),
                        "slm.worker.model.tokenizer-uri",
                                resources
                                        .resolve("models/tiny-lm-tokenizer.json")
                                        .toString(),
                        "slm.worker.task-config-file",
                                resources.resolve("config/generate.json").toString()));
        try {
            ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", gen.grpcPort)
                    .usePlaintext()
                    .build();
            InferenceServiceGrpc.InferenceServiceBlockingStub stub = InferenceServiceGrpc.newBlockingStub(ch);
            int rounds = 200;
            double[] ttft = new double[rounds];
            double tokens = 0;
            double decodeSeconds = 0;
            for (int i = 0; i < rounds + 20; i++) {
                long t0 = System.nanoTime();
                Iterator<GenerateChunk> it = stub.generate(GenerateRequest.newBuilder()
                        .setMeta(RequestMeta.newBuilder().setSessionId("bench-" + i))
                        .setPrompt("count : one")
                        .setSampling(SamplingParams.newBuilder().setMaxTokens(19))
                        .build());
                GeneratorBenchmark.Session s = GeneratorBenchmark.drain(t0, it);
                if (i >= 20) {
                    ttft[i - 20] = (s.first() - t0) / 1e6;
                    tokens += s.tokens();
                    decodeSeconds += (s.end() - t0) / 1e9;
                }
            }
            Arrays.sort(ttft);
            System.out.printf(
                    "# tiny generator (%s): TTFT p50 %.3f ms, p99 %.3f ms; %.0f tokens/s per stream "
                            + "(%d streams of 19 tokens, one at a time); model load %.0f ms, warm-up %.0f ms%n",
                    "1-layer, 32-token vocab",
                    ttft[rounds / 2],
                    ttft[(int) (rounds * 0.99)],
                    tokens / decodeSeconds,
                    rounds,
                    gen.loadSeconds * 1000,
                    gen.warmupSeconds * 1000);
            ch.shutdownNow();
        } finally {
            gen.stop();
        }
    }

    static long cpuNanos(ProcessHandle p) {
        return p.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    static double pct(long[] sorted, double p) {
        return sorted.length == 0
                ? Double.NaN
                : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p / 100))] / 1e6;
    }

    /** One closed-loop measurement of a path: each client thread calls in a loop; the warm-up window is not recorded. */
    static Result run(String name, int clients, Supplier<Runnable> perClient) throws InterruptedException {
        return measure(clients, perClient, WARMUP, BLOCKS * BLOCK_SECONDS).result(name, clients);
    }

    /** As {@link #run(String, int, Supplier)} for a call that times itself (returns its own nanoseconds). */
    static Result runSelfTimed(String name, int clients, LongSupplier selfTimed) throws InterruptedException {
        return measureTimed(clients, () -> selfTimed, WARMUP, BLOCKS * BLOCK_SECONDS)
                .result(name, clients);
    }

    static Samples measure(int clients, Supplier<Runnable> perClient, double warmup, double seconds)
            throws InterruptedException {
        return measureTimed(
                clients,
                () -> {
                    Runnable call = perClient.get();
                    return () -> {
                        long t0 = System.nanoTime();
                        call.run();
                        return System.nanoTime() - t0;
                    };
                },
                warmup,
                seconds);
    }

    static Samples measureTimed(int clients, Supplier<LongSupplier> perClient, double warmup, double seconds)
            throws InterruptedException {
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        List<long[]> samples = new ArrayList<>();
        int[] counts = new int[clients];
        CountDownLatch done = new CountDownLatch(clients);
        for (int i = 0; i < clients; i++) {
            long[] mine = new long[(int) Math.min(2_000_000, Math.max(10_000, seconds * 20_000))];
            samples.add(mine);
            int idx = i;
            LongSupplier call = perClient.get();
            Thread t = new Thread(
                    () -> {
                        int n = 0;
                        while (!stop.get()) {
                            long dt = call.getAsLong();
                            if (measuring.get() && n < mine.length) {
                                mine[n++] = dt;
                            }
                        }
                        counts[idx] = n;
                        done.countDown();
                    },
                    "client-" + i);
            t.setDaemon(true);
            t.start();
        }
        Thread.sleep((long) (warmup * 1000));
        long start = System.nanoTime();
        measuring.set(true);
        Thread.sleep((long) (seconds * 1000));
        measuring.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        done.await(60, TimeUnit.SECONDS);
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int pos = 0;
        for (int i = 0; i < clients; i++) {
            System.arraycopy(samples.get(i), 0, all, pos, counts[i]);
            pos += counts[i];
        }
        return new Samples(all, elapsed);
    }

    /** A worker process started from the packaged jar, on free loopback ports. */
    static final class Worker {
        Process process;
        int grpcPort;
        int httpPort;
        double loadSeconds;
        double warmupSeconds;

        static Worker start(Path jar, String task, Map<String, String> props) throws Exception {
            return start(jar, task, props, List.of(WORKER_ARGS.split("\\s+")), Map.of());
        }

        static Worker start(
                Path jar, String task, Map<String, String> props, List<String> jvmArgs, Map<String, String> env)
                throws Exception {
            Worker w = new Worker();
            w.grpcPort = freePort();
            w.httpPort = freePort();
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.add("-Dslm.worker.task=" + task);
            cmd.add("-Dquarkus.grpc.server.port=" + w.grpcPort);
            cmd.add("-Dquarkus.http.port=" + w.httpPort);
            props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
            for (String extra : jvmArgs) {
                if (!extra.isBlank()) {
                    cmd.add(extra);
                }
            }
            cmd.add("-jar");
            cmd.add(jar.toString());
            File log = File.createTempFile("bench-worker-" + task, ".log");
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().putAll(env);
            w.process = pb.redirectErrorStream(true).redirectOutput(log).start();
            System.out.printf("# started %s worker (gRPC %d, HTTP %d), log %s%n", task, w.grpcPort, w.httpPort, log);
            ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", w.grpcPort)
                    .usePlaintext()
                    .build();
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(ch);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                try {
                    if (health.withDeadlineAfter(2, TimeUnit.SECONDS)
                                    .check(HealthOuterClass.HealthCheckRequest.getDefaultInstance())
                                    .getStatus()
                            == HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING) {
                        break;
                    }
                } catch (RuntimeException notYet) {
                    // server not listening yet
                }
                if (System.nanoTime() > deadline || !w.process.isAlive()) {
                    w.process.destroyForcibly();
                    throw new IllegalStateException("worker did not become SERVING; see " + log);
                }
                Thread.sleep(100);
            }
            ch.shutdownNow();
            String metrics = w.scrape();
            w.loadSeconds = gauge(metrics, "worker_model_load_seconds");
            w.warmupSeconds = gauge(metrics, "worker_warmup_seconds");
            return w;
        }

        String scrape() throws IOException {
            try (InputStream in = URI.create("http://127.0.0.1:" + httpPort + "/q/metrics")
                    .toURL()
                    .openStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }

        static double meanMillis(String before, String after, String timer) {
            double sum = gauge(after, timer + "_sum") - orZero(gauge(before, timer + "_sum"));
            double count = gauge(after, timer + "_count") - orZero(gauge(before, timer + "_count"));
            return 1000 * sum / count;
        }

        static double orZero(double v) {
            return Double.isNaN(v) ? 0 : v;
        }

        static double gauge(String metrics, String name) {
            Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)")
                    .matcher(metrics);
            return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        }

        void stop() throws InterruptedException {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        }
    }
}
