package dev.slm.fleet.worker.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.slm.fleet.proto.v1.ClassifyRequest;
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
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load generator (not a test): raw ONNX Runtime session.run in-process vs. the worker's Classify over gRPC on
 * loopback, MiniLM int8, one intra-op thread, 16-token utterances, at 1/8/32 concurrent clients; then TTFT and
 * tokens/s of the tiny generator, and model load + warm-up times. Starts the workers from
 * target/quarkus-app/quarkus-run.jar. Run: worker-image/scripts/bench-worker.sh (from the repo root).
 * System properties: bench.seconds (per measurement, default 5), bench.warmup (default 2), bench.grpc-warmup
 * (seconds of load on the worker before its first measurement, so that JIT compilation has settled; default 30),
 * bench.worker-args (extra JVM arguments for the worker processes, space separated).
 */
public final class WorkerBenchmark {

    static final String UTTERANCE = "hello , where is my order 12345 ? i ordered it last friday please";
    static final int[] CONCURRENCY = {1, 8, 32};
    static final double SECONDS = Double.parseDouble(System.getProperty("bench.seconds", "5"));
    static final double WARMUP = Double.parseDouble(System.getProperty("bench.warmup", "2"));
    /** The worker's JVM compiles its request path (gRPC, Netty, Quarkus) for tens of seconds on 2 cores. */
    static final double GRPC_WARMUP = Double.parseDouble(System.getProperty("bench.grpc-warmup", "30"));

    record Result(String name, int clients, long calls, double seconds, double p50, double p99) {
        double throughput() {
            return calls / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args.length > 0 ? args[0] : "worker-image/worker/target/quarkus-app/quarkus-run.jar");
        Path resources = Path.of(args.length > 1 ? args[1] : "worker-image/worker/src/test/resources");
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("# worker benchmark: %d cores, Java %s, %.0f s per point%n", cores,
                System.getProperty("java.version"), SECONDS);

        List<Result> results = new ArrayList<>();
        try (LoadedModel model = ModelLoader.load(ModelSpec.of(ModelSource.BUILTIN_MINILM))) {
            TextTokenizer.Tokens toks = model.tokenizer().encode(UTTERANCE);
            System.out.printf("# utterance: \"%s\" = %d tokens%n", UTTERANCE, toks.length());
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put("input_ids", OnnxTensor.createTensor(env, new long[][] {toks.ids()}));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, new long[][] {toks.attentionMask()}));
            inputs.put("token_type_ids", OnnxTensor.createTensor(env, new long[][] {new long[toks.length()]}));
            OrtSession session = model.session();
            for (int c : CONCURRENCY) {
                System.out.printf("# raw session.run, %d clients ...%n", c);
                results.add(run("raw ORT session.run", c, () -> () -> {
                    try {
                        session.run(inputs).close();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            FewShotIntentClassifier engine = new FewShotIntentClassifier(new SentenceEmbedder(model, Limits.defaults()),
                    TaskParametersFile.intents(resources.resolve("config/intents.json")), 0.5f);
            for (int c : CONCURRENCY) {
                System.out.printf("# in-process classify engine, %d clients ...%n", c);
                results.add(run("in-process engine (tokenize+run+pool+cosine)", c, () -> () -> engine.classify(UTTERANCE, 3)));
            }
        }

        Worker classify = Worker.start(jar, "classify-intent", Map.of(
                "slm.worker.task-config-file", resources.resolve("config/intents.json").toString(),
                "slm.worker.threads.intra-op", "1",
                "slm.worker.queue.standard", "256"));
        try {
            ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", classify.grpcPort).usePlaintext().build();
            InferenceServiceGrpc.InferenceServiceBlockingStub stub = InferenceServiceGrpc.newBlockingStub(ch);
            ClassifyRequest req = ClassifyRequest.newBuilder().setText(UTTERANCE).setMeta(RequestMeta.newBuilder()
                    .setSessionId("bench").setPriority(Priority.PRIORITY_STANDARD)).build();
            System.out.printf("# classify answer: %s", stub.classify(req).toString().replace('\n', ' '));
            System.out.println();
            System.out.printf("# warming the worker's request path for %.0f s (8 clients) ...%n", GRPC_WARMUP);
            run("warm-up", 8, () -> () -> stub.classify(req), 0, GRPC_WARMUP);
            List<String> serverSide = new ArrayList<>();
            for (int c : CONCURRENCY) {
                System.out.printf("# gRPC Classify, %d clients ...%n", c);
                String before = classify.scrape();
                results.add(run("worker Classify over gRPC", c, () -> () -> stub.classify(req)));
                String after = classify.scrape();
                serverSide.add(String.format("# clients=%d: in the worker, mean queue wait %.3f ms, mean inference %.3f ms",
                        c, Worker.meanMillis(before, after, "worker_queue_wait_seconds"),
                        Worker.meanMillis(before, after, "worker_inference_seconds")));
            }
            DescribeRequest describe = DescribeRequest.getDefaultInstance();
            System.out.println("# gRPC Describe (no inference), 1 client ...");
            Result transport = run("worker Describe over gRPC (transport only)", 1, () -> () -> stub.describe(describe));
            results.add(transport);
            serverSide.forEach(System.out::println);
            System.out.printf("# Describe round trip (gRPC transport and framework, no inference): p50 %.3f ms, p99 %.3f ms%n",
                    transport.p50(), transport.p99());
            ch.shutdownNow();
            String metrics = classify.scrape();
            System.out.printf("# server-side mean latency (request_latency_seconds sum/count, queue included): %.3f ms%n",
                    1000 * Worker.gauge(metrics, "request_latency_seconds_sum") / Worker.gauge(metrics, "request_latency_seconds_count"));
        } finally {
            classify.stop();
        }

        System.out.println();
        System.out.println("| path | clients | calls | throughput (req/s) | p50 (ms) | p99 (ms) |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (Result r : results) {
            System.out.printf("| %s | %d | %d | %.0f | %.3f | %.3f |%n", r.name(), r.clients(), r.calls(), r.throughput(),
                    r.p50(), r.p99());
        }
        for (int i = 0; i < CONCURRENCY.length; i++) {
            Result raw = results.get(i);
            Result grpc = results.get(i + 2 * CONCURRENCY.length);
            System.out.printf("# clients=%d: gRPC p99 - raw p99 = %+.3f ms; gRPC throughput = %.0f%% of raw%n",
                    raw.clients(), grpc.p99() - raw.p99(), 100 * grpc.throughput() / raw.throughput());
        }
        System.out.printf("# MiniLM worker: model load %.0f ms, warm-up %.0f ms (from /q/metrics)%n",
                classify.loadSeconds * 1000, classify.warmupSeconds * 1000);

        Worker gen = Worker.start(jar, "generate", Map.of(
                "slm.worker.model.uri", resources.resolve("models/tiny-lm.onnx").toString(),
                "slm.worker.model.tokenizer-uri", resources.resolve("models/tiny-lm-tokenizer.json").toString(),
                "slm.worker.task-config-file", resources.resolve("config/generate.json").toString()));
        try {
            ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", gen.grpcPort).usePlaintext().build();
            InferenceServiceGrpc.InferenceServiceBlockingStub stub = InferenceServiceGrpc.newBlockingStub(ch);
            int rounds = 200;
            double[] ttft = new double[rounds];
            double tokens = 0;
            double decodeSeconds = 0;
            for (int i = 0; i < rounds + 20; i++) {
                long t0 = System.nanoTime();
                Iterator<GenerateChunk> it = stub.generate(GenerateRequest.newBuilder()
                        .setMeta(RequestMeta.newBuilder().setSessionId("bench-" + i))
                        .setPrompt("count : one").setSampling(SamplingParams.newBuilder().setMaxTokens(19)).build());
                long first = 0;
                GenerateChunk last = null;
                while (it.hasNext()) {
                    GenerateChunk c = it.next();
                    if (first == 0) {
                        first = System.nanoTime();
                    }
                    last = c;
                }
                long end = System.nanoTime();
                if (i >= 20) {
                    ttft[i - 20] = (first - t0) / 1e6;
                    tokens += last.getCompletionTokens();
                    decodeSeconds += (end - t0) / 1e9;
                }
            }
            Arrays.sort(ttft);
            System.out.printf("# tiny generator (%s): TTFT p50 %.3f ms, p99 %.3f ms; %.0f tokens/s per stream "
                            + "(%d streams of 19 tokens, one at a time); model load %.0f ms, warm-up %.0f ms%n",
                    "1-layer, 32-token vocab", ttft[rounds / 2], ttft[(int) (rounds * 0.99)], tokens / decodeSeconds, rounds,
                    gen.loadSeconds * 1000, gen.warmupSeconds * 1000);
            ch.shutdownNow();
        } finally {
            gen.stop();
        }
    }

    /** Each client thread calls in a loop; latencies recorded after the warm-up window. */
    static Result run(String name, int clients, Supplier<Runnable> perClient) throws InterruptedException {
        return run(name, clients, perClient, WARMUP, SECONDS);
    }

    static Result run(String name, int clients, Supplier<Runnable> perClient, double warmup, double seconds)
            throws InterruptedException {
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        List<long[]> samples = new ArrayList<>();
        int[] counts = new int[clients];
        CountDownLatch done = new CountDownLatch(clients);
        for (int i = 0; i < clients; i++) {
            long[] mine = new long[2_000_000];
            samples.add(mine);
            int idx = i;
            Runnable call = perClient.get();
            Thread t = new Thread(() -> {
                int n = 0;
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    call.run();
                    long dt = System.nanoTime() - t0;
                    if (measuring.get() && n < mine.length) {
                        mine[n++] = dt;
                    }
                }
                counts[idx] = n;
                done.countDown();
            }, "client-" + i);
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
        Arrays.sort(all);
        return new Result(name, clients, total, elapsed, all[total / 2] / 1e6, all[(int) (total * 0.99)] / 1e6);
    }

    /** A worker process started from the packaged jar, on free loopback ports. */
    static final class Worker {
        Process process;
        int grpcPort;
        int httpPort;
        double loadSeconds;
        double warmupSeconds;

        static Worker start(Path jar, String task, Map<String, String> props) throws Exception {
            Worker w = new Worker();
            w.grpcPort = freePort();
            w.httpPort = freePort();
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.add("-Dslm.worker.task=" + task);
            cmd.add("-Dquarkus.grpc.server.port=" + w.grpcPort);
            cmd.add("-Dquarkus.http.port=" + w.httpPort);
            props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
            for (String extra : System.getProperty("bench.worker-args", "").split("\\s+")) {
                if (!extra.isBlank()) {
                    cmd.add(extra);
                }
            }
            cmd.add("-jar");
            cmd.add(jar.toString());
            File log = File.createTempFile("bench-worker-" + task, ".log");
            w.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
            System.out.printf("# started %s worker (gRPC %d, HTTP %d), log %s%n", task, w.grpcPort, w.httpPort, log);
            ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", w.grpcPort).usePlaintext().build();
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(ch);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                try {
                    if (health.withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthOuterClass.HealthCheckRequest
                            .getDefaultInstance()).getStatus() == HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING) {
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
            try (InputStream in = URI.create("http://127.0.0.1:" + httpPort + "/q/metrics").toURL().openStream()) {
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
            Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)").matcher(metrics);
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
