package dev.slm.fleet.worker.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.slm.fleet.proto.v1.GenerateChunk;
import dev.slm.fleet.proto.v1.GenerateRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.worker.bench.WorkerBenchmark.Worker;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoader;
import dev.slm.fleet.worker.model.ModelSpec;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Generator benchmark (not a test): SmolLM2-135M-Instruct (as {@code make models} prepares it) decoded greedily by
 * a raw ONNX Runtime loop in this process (KV fed from each run's outputs to the next, one loop per session, on a
 * session loaded by the worker's own loader) against the worker's Generate over gRPC, with continuous batching
 * (the default) and without, in interleaved blocks in one run. A round starts {@code n} sessions at once, each
 * decoding the same prompt to {@code bench.max-tokens}; per path and session count it reports time to first token
 * (p50, p99), decode tokens/s per session (after the first token), and aggregate tokens/s (all sessions' tokens over
 * the round's wall time), then the workers' resident memory. Run: {@code worker/scripts/bench-worker.sh generator}.
 * System properties: bench.blocks (default 3), bench.max-tokens (32), bench.sessions (1,4,8; the last is the
 * aggregate's), bench.model-dir (the prepared int4 model).
 */
public final class GeneratorBenchmark {

    static final int BLOCKS = Integer.getInteger("bench.blocks", 3);
    static final int MAX_TOKENS = Integer.getInteger("bench.max-tokens", 32);
    static final int[] SESSIONS = Arrays.stream(
                    System.getProperty("bench.sessions", "1,4,8").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    static final String PROMPT = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
            + "Facts: Order 12345 was shipped on Monday with DHL and arrives on Friday.\n"
            + "Question: where is my order 12345? Tell me everything you know about it.\n"
            + "Answer using the facts.<|im_end|>\n<|im_start|>assistant\n";

    /** One session's timings: start, first token, end (System.nanoTime) and tokens generated. */
    record Session(long start, long first, long end, int tokens) {}

    /** Every round's sessions of one path at one session count, over the blocks. */
    static final class Stats {
        final List<Session> sessions = new ArrayList<>();
        double wallSeconds;

        void add(List<Session> round) {
            sessions.addAll(round);
            long start = round.stream().mapToLong(Session::start).min().orElse(0);
            long end = round.stream().mapToLong(Session::end).max().orElse(0);
            wallSeconds += (end - start) / 1e9;
        }

        double ttft(double pct) {
            double[] t = sessions.stream()
                    .mapToDouble(s -> (s.first() - s.start()) / 1e6)
                    .sorted()
                    .toArray();
            return t[Math.min(t.length - 1, (int) (t.length * pct / 100))];
        }

        double decodePerSession() {
            return sessions.stream()
                    .filter(s -> s.tokens() > 1 && s.end() > s.first())
                    .mapToDouble(s -> (s.tokens() - 1) / ((s.end() - s.first()) / 1e9))
                    .average()
                    .orElse(Double.NaN);
        }

        double aggregate() {
            return sessions.stream().mapToInt(Session::tokens).sum() / wallSeconds;
        }

        int tokens() {
            return sessions.stream().mapToInt(Session::tokens).sum();
        }
    }

    interface Path1 {
        Session generate(int session) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args.length > 0 ? args[0] : "worker/target/quarkus-app/quarkus-run.jar");
        Path dir = Path.of(System.getProperty(
                "bench.model-dir", System.getProperty("user.home") + "/.cache/slm-fleet/models/smollm2-135m-instruct"));
        Path model = dir.resolve("model.onnx");
        String sha = sha256(model);
        System.out.printf(
                "# generator benchmark: %s (sha256 %s), %d cores, Java %s, %d interleaved blocks, %d tokens per"
                        + " session, load average %s%n",
                model,
                sha.substring(0, 12),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                BLOCKS,
                MAX_TOKENS,
                loadAverage());

        Path on = Files.createTempFile("generate-batched", ".json");
        Files.writeString(on, "{\"kvCacheMaxMib\": 64, \"batching\": {\"maxBatchSize\": 8}}");
        Path off = Files.createTempFile("generate-unbatched", ".json");
        Files.writeString(off, "{\"kvCacheMaxMib\": 64, \"batching\": {\"enabled\": false}}");
        Map<String, String> common = Map.of(
                "slm.worker.model.uri",
                model.toString(),
                "slm.worker.model.sha256",
                sha,
                "slm.worker.queue.standard",
                "64",
                "slm.worker.model.optimization",
                "basic",
                "slm.worker.limits.max-new-tokens",
                "512");
        Map<String, String> onProps = new HashMap<>(common);
        onProps.put("slm.worker.task-config-file", on.toString());
        Map<String, String> offProps = new HashMap<>(common);
        offProps.put("slm.worker.task-config-file", off.toString());
        Worker batched = Worker.start(jar, "generate", onProps);
        Worker unbatched = Worker.start(jar, "generate", offProps);
        LoadedModel raw = ModelLoader.load(ModelSpec.of(model.toString()).withSha256(sha));
        ManagedChannel chOn = channel(batched);
        ManagedChannel chOff = channel(unbatched);
        try {
            AtomicInteger ids = new AtomicInteger();
            Map<String, Path1> paths = new LinkedHashMap<>();
            paths.put("raw ORT loop", s -> rawGreedy(raw));
            paths.put("worker, continuous batching", s -> grpc(chOn, "b-" + ids.incrementAndGet()));
            paths.put("worker, batching off", s -> grpc(chOff, "u-" + ids.incrementAndGet()));
            // warm-up: every path once at 1 and 2 sessions (the first batched runs allocate), not recorded
            for (Path1 p : paths.values()) {
                round(p, 1);
                round(p, 2);
            }
            Map<String, Stats> stats = new LinkedHashMap<>();
            for (int b = 0; b < BLOCKS; b++) {
                for (int n : SESSIONS) {
                    for (Map.Entry<String, Path1> p : paths.entrySet()) {
                        stats.computeIfAbsent(p.getKey() + "|" + n, k -> new Stats())
                                .add(round(p.getValue(), n));
                    }
                }
                System.out.printf("# block %d/%d done, load average %s%n", b + 1, BLOCKS, loadAverage());
            }
            System.out.println();
            System.out.println(
                    "| path | sessions | TTFT p50 ms | TTFT p99 ms | decode tok/s per session | aggregate tok/s |"
                            + " tokens |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (int n : SESSIONS) {
                for (String p : paths.keySet()) {
                    Stats s = stats.get(p + "|" + n);
                    System.out.printf(
                            Locale.ROOT,
                            "| %s | %d | %.1f | %.1f | %.1f | %.1f | %d |%n",
                            p,
                            n,
                            s.ttft(50),
                            s.ttft(99),
                            s.decodePerSession(),
                            s.aggregate(),
                            s.tokens());
                }
            }
            int most = SESSIONS[SESSIONS.length - 1];
            Stats raw1 = stats.get("raw ORT loop|1");
            Stats on1 = stats.get("worker, continuous batching|1");
            Stats on8 = stats.get("worker, continuous batching|" + most);
            System.out.printf(
                    Locale.ROOT,
                    "%n# worker (batching) decode at 1 session: %.0f%% of raw; TTFT p50 worker - raw: %+.1f ms;"
                            + " %d-session aggregate / 1-session aggregate: %.2fx (raw loop: %.2fx)%n",
                    100 * on1.decodePerSession() / raw1.decodePerSession(),
                    on1.ttft(50) - raw1.ttft(50),
                    most,
                    on8.aggregate() / on1.aggregate(),
                    stats.get("raw ORT loop|" + most).aggregate() / raw1.aggregate());
            System.out.printf(
                    "# resident memory: worker (batching) %d MiB, worker (off) %d MiB; batch sizes formed: %s%n",
                    rssMib(batched.process.pid()), rssMib(unbatched.process.pid()), batchSizes(batched.scrape()));
            System.out.printf("# load average at the end %s%n", loadAverage());
        } finally {
            chOn.shutdownNow();
            chOff.shutdownNow();
            raw.close();
            batched.stop();
            unbatched.stop();
        }
    }

    /** {@code n} sessions started together; returns when all have ended. */
    static List<Session> round(Path1 path, int n) throws Exception {
        List<Session> out = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(n);
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            int s = i;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    out.add(path.generate(s));
                } catch (Throwable e) {
                    errors.add(e);
                } finally {
                    done.countDown();
                }
            });
            t.setDaemon(true);
            t.start();
        }
        go.countDown();
        if (!done.await(10, TimeUnit.MINUTES) || !errors.isEmpty()) {
            throw new IllegalStateException("round failed: " + errors);
        }
        return out;
    }

    static Session grpc(ManagedChannel ch, String session) {
        long t0 = System.nanoTime();
        Iterator<GenerateChunk> it = InferenceServiceGrpc.newBlockingStub(ch)
                .generate(GenerateRequest.newBuilder()
                        .setMeta(RequestMeta.newBuilder().setSessionId(session))
                        .setPrompt(PROMPT)
                        .setSampling(SamplingParams.newBuilder().setMaxTokens(MAX_TOKENS))
                        .build());
        return drain(t0, it);
    }

    /** Reads a Generate stream to its end: when its first chunk and its end arrived, and its completion tokens. */
    static Session drain(long start, Iterator<GenerateChunk> stream) {
        long first = 0;
        GenerateChunk last = null;
        while (stream.hasNext()) {
            GenerateChunk c = stream.next();
            if (first == 0) {
                first = System.nanoTime();
            }
            last = c;
        }
        return new Session(start, first, System.nanoTime(), last.getCompletionTokens());
    }

    /** Greedy decoding straight on ONNX Runtime: tokenize, prefill, then one token per run, KV fed back as is. */
    static Session rawGreedy(LoadedModel model) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long t0 = System.nanoTime();
        long[] prompt = model.tokenizer().encode(PROMPT, false).ids();
        OrtSession session = model.session();
        int layers = 0;
        while (model.inputNames().contains("past_key_values." + layers + ".key")) {
            layers++;
        }
        long[] kvShape = ((TensorInfo)
                        session.getInputInfo().get("past_key_values.0.key").getInfo())
                .getShape();
        long[] feed = prompt;
        int past = 0;
        OrtSession.Result previous = null;
        Map<String, OnnxTensor> pastKv = new HashMap<>();
        for (int l = 0; l < layers; l++) {
            long[] shape = {1, kvShape[1], 0, kvShape[3]};
            pastKv.put("past_key_values." + l + ".key", OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape));
            pastKv.put("past_key_values." + l + ".value", OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape));
        }
        List<OnnxTensor> initial = new ArrayList<>(pastKv.values());
        long first = 0;
        int tokens = 0;
        try {
            while (tokens < MAX_TOKENS) {
                Map<String, OnnxTensor> in = new HashMap<>(pastKv);
                long[] mask = new long[past + feed.length];
                Arrays.fill(mask, 1);
                long[] pos = new long[feed.length];
                for (int i = 0; i < pos.length; i++) {
                    pos[i] = past + i;
                }
                OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(feed), new long[] {1, feed.length});
                OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {1, mask.length});
                OnnxTensor p = OnnxTensor.createTensor(env, LongBuffer.wrap(pos), new long[] {1, pos.length});
                in.put("input_ids", ids);
                in.put("attention_mask", m);
                in.put("position_ids", p);
                OrtSession.Result r = session.run(in);
                ids.close();
                m.close();
                p.close();
                if (previous != null) {
                    previous.close();
                }
                previous = r;
                past += feed.length;
                for (int l = 0; l < layers; l++) {
                    pastKv.put("past_key_values." + l + ".key", (OnnxTensor)
                            r.get("present." + l + ".key").orElseThrow());
                    pastKv.put("past_key_values." + l + ".value", (OnnxTensor)
                            r.get("present." + l + ".value").orElseThrow());
                }
                FloatBuffer logits = ((OnnxTensor) r.get("logits").orElseThrow()).getFloatBuffer();
                int vocab = (int) ((TensorInfo) r.get("logits").orElseThrow().getInfo()).getShape()[2];
                int base = logits.limit() - vocab;
                int best = 0;
                for (int i = 1; i < vocab; i++) {
                    if (logits.get(base + i) > logits.get(base + best)) {
                        best = i;
                    }
                }
                if (first == 0) {
                    first = System.nanoTime();
                }
                if (best == 0 || best == 2) { // <|endoftext|>, <|im_end|>
                    break;
                }
                tokens++;
                feed = new long[] {best};
            }
        } finally {
            if (previous != null) {
                previous.close();
            }
            initial.forEach(OnnxTensor::close);
        }
        return new Session(t0, first, System.nanoTime(), tokens);
    }

    static ManagedChannel channel(Worker w) {
        return ManagedChannelBuilder.forAddress("127.0.0.1", w.grpcPort)
                .usePlaintext()
                .build();
    }

    static String batchSizes(String metrics) {
        double count = Worker.gauge(metrics, "worker_batch_size_count");
        double sum = Worker.gauge(metrics, "worker_batch_size_sum");
        double max = Worker.gauge(metrics, "worker_batch_size_max");
        return String.format(
                Locale.ROOT, "mean %.2f sessions per decode step over %.0f steps (max %.0f)", sum / count, count, max);
    }

    static long rssMib(long pid) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }

    static String loadAverage() throws java.io.IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    static String sha256(Path file) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }
}
