package dev.slm.fleet.worker.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.worker.bench.WorkerBenchmark.Result;
import dev.slm.fleet.worker.bench.WorkerBenchmark.Samples;
import dev.slm.fleet.worker.bench.WorkerBenchmark.Worker;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoader;
import dev.slm.fleet.worker.model.ModelSource;
import dev.slm.fleet.worker.model.ModelSpec;
import dev.slm.fleet.worker.model.TextTokenizer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Dynamic batching benchmark (not a test): MiniLM int8 Classify on a worker with batching on (the default) and one
 * with it off, against the raw unbatched session.run loop, all in interleaved blocks in one run. Prints: 32 clients
 * batched vs raw (throughput, p99); 1 client on vs off (p50); CPU per request at 8 clients off vs raw; the batch size
 * formed at each offered load. Run: {@code worker/scripts/bench-worker.sh batching} (from the repo root).
 * System properties: bench.blocks (default 3), bench.block-seconds (1.5), bench.grpc-warmup (seconds per worker, 15).
 */
public final class BatchingBenchmark {

    static final int BLOCKS = Integer.getInteger("bench.blocks", 3);
    static final double BLOCK = Double.parseDouble(System.getProperty("bench.block-seconds", "1.5"));
    static final double WARMUP = Double.parseDouble(System.getProperty("bench.grpc-warmup", "15"));
    static final int[] LOADS = {1, 2, 4, 8, 16, 32};

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args.length > 0 ? args[0] : "worker/target/quarkus-app/quarkus-run.jar");
        Path resources = Path.of(args.length > 1 ? args[1] : "worker/src/test/resources");
        System.out.printf(
                "# batching benchmark: %d cores, Java %s, %d interleaved blocks of %.1f s per path%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), BLOCKS, BLOCK);
        String intents =
                Files.readString(resources.resolve("config/intents.json")).trim();
        Path off = Files.createTempFile("intents-unbatched", ".json");
        Files.writeString(
                off, intents.substring(0, intents.lastIndexOf('}')) + ", \"batching\": {\"enabled\": false}}");
        Map<String, String> common = Map.of("slm.worker.threads.intra-op", "1", "slm.worker.queue.standard", "256");
        Map<String, String> onProps = new HashMap<>(common);
        onProps.put(
                "slm.worker.task-config-file",
                resources.resolve("config/intents.json").toString());
        Map<String, String> offProps = new HashMap<>(common);
        offProps.put("slm.worker.task-config-file", off.toString());
        Path socket = Files.createTempDirectory("bench-uds").resolve("worker.sock");
        offProps.put("slm.worker.grpc.uds-path", socket.toString());
        Worker on = Worker.start(jar, "classify-intent", onProps);
        Worker unbatched = Worker.start(jar, "classify-intent", offProps);
        List<Result> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        // the raw loop runs the graph the workers run: the same auto choice, from the same cache
        ModelSpec rawSpec = ModelSpec.of(ModelSource.BUILTIN_MINILM)
                .withOptimization("auto")
                .withGraphCache(Path.of(System.getProperty("java.io.tmpdir"), "slm-worker-graphs"));
        EpollEventLoopGroup udsLoop = new EpollEventLoopGroup(1);
        try (LoadedModel model = ModelLoader.load(rawSpec)) {
            System.out.println(
                    "# raw loop graph optimisation: " + model.optimization().describe());
            TextTokenizer.Tokens toks = model.tokenizer().encode(WorkerBenchmark.UTTERANCE);
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
            ClassifyRequest req = ClassifyRequest.newBuilder()
                    .setText(WorkerBenchmark.UTTERANCE)
                    .setMeta(RequestMeta.newBuilder().setSessionId("bench").setPriority(Priority.PRIORITY_STANDARD))
                    .build();
            ManagedChannel chOn = channel(on);
            ManagedChannel chOff = channel(unbatched);
            ManagedChannel chUds = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .channelType(EpollDomainSocketChannel.class)
                    .eventLoopGroup(udsLoop)
                    .usePlaintext()
                    .build();
            var stubOn = InferenceServiceGrpc.newBlockingStub(chOn);
            var stubOff = InferenceServiceGrpc.newBlockingStub(chOff);
            Runnable callOn = () -> stubOn.classify(req);
            Runnable callOff = () -> stubOff.classify(req);
            var stubUds = InferenceServiceGrpc.newBlockingStub(chUds);
            Runnable callUds = () -> stubUds.classify(req);
            System.out.printf(
                    "# answers: on %s / off %s%n",
                    stubOn.classify(req).getIntent(), stubOff.classify(req).getIntent());
            System.out.printf("# warming each worker's request path for %.0f s (8 clients) ...%n", WARMUP);
            WorkerBenchmark.measure(8, () -> callOn, 0, WARMUP);
            WorkerBenchmark.measure(8, () -> callOff, 0, WARMUP);
            WorkerBenchmark.measure(8, () -> callUds, 0, WARMUP / 2);
            WorkerBenchmark.measure(8, () -> raw, 0, 1);

            System.out.println("# 32 clients: raw loop vs worker with batching ...");
            Samples raw32 = Samples.NONE;
            Samples on32 = Samples.NONE;
            for (int b = 0; b < BLOCKS; b++) {
                raw32 = raw32.plus(WorkerBenchmark.measure(32, () -> raw, 0.3, BLOCK));
                on32 = on32.plus(WorkerBenchmark.measure(32, () -> callOn, 0.3, BLOCK));
            }
            Result r32 = raw32.result("raw ORT session.run (unbatched, 32 threads)", 32);
            Result b32 = on32.result("worker Classify, batching on", 32);
            results.add(r32);
            results.add(b32);

            System.out.println("# 1 client: batching on vs off ...");
            Samples on1 = Samples.NONE;
            Samples off1 = Samples.NONE;
            for (int b = 0; b < BLOCKS; b++) {
                on1 = on1.plus(WorkerBenchmark.measure(1, () -> callOn, 0.3, BLOCK));
                off1 = off1.plus(WorkerBenchmark.measure(1, () -> callOff, 0.3, BLOCK));
            }
            Result b1 = on1.result("worker Classify, batching on", 1);
            Result u1 = off1.result("worker Classify, batching off", 1);
            results.add(b1);
            results.add(u1);

            System.out.println("# 1 client: batching off over TCP vs over the Unix socket ...");
            Samples tcp1 = Samples.NONE;
            Samples uds1 = Samples.NONE;
            for (int b = 0; b < BLOCKS; b++) {
                tcp1 = tcp1.plus(WorkerBenchmark.measure(1, () -> callOff, 0.3, BLOCK));
                uds1 = uds1.plus(WorkerBenchmark.measure(1, () -> callUds, 0.3, BLOCK));
            }
            Result t1 = tcp1.result("worker Classify, batching off, TCP loopback", 1);
            Result s1 = uds1.result("worker Classify, batching off, Unix socket", 1);
            results.add(t1);
            results.add(s1);

            System.out.println("# 8 clients: CPU per request, batching off (TCP, Unix socket) vs raw ...");
            Samples raw8 = Samples.NONE;
            Samples off8 = Samples.NONE;
            Samples uds8 = Samples.NONE;
            long rawCpu = 0;
            long offCpu = 0;
            long udsCpu = 0;
            ProcessHandle self = ProcessHandle.current();
            ProcessHandle offWorker = unbatched.process.toHandle();
            for (int b = 0; b < BLOCKS; b++) {
                long c0 = WorkerBenchmark.cpuNanos(self);
                Samples s = WorkerBenchmark.measure(8, () -> raw, 0, BLOCK);
                rawCpu += WorkerBenchmark.cpuNanos(self) - c0;
                raw8 = raw8.plus(s);
                long w0 = WorkerBenchmark.cpuNanos(offWorker);
                s = WorkerBenchmark.measure(8, () -> callOff, 0, BLOCK);
                offCpu += WorkerBenchmark.cpuNanos(offWorker) - w0;
                off8 = off8.plus(s);
                long u0 = WorkerBenchmark.cpuNanos(offWorker);
                s = WorkerBenchmark.measure(8, () -> callUds, 0, BLOCK);
                udsCpu += WorkerBenchmark.cpuNanos(offWorker) - u0;
                uds8 = uds8.plus(s);
            }
            results.add(raw8.result("raw ORT session.run (unbatched, 8 threads)", 8));
            results.add(off8.result("worker Classify, batching off", 8));
            results.add(uds8.result("worker Classify, batching off, Unix socket", 8));
            double rawCpuMs = rawCpu / 1e6 / raw8.nanos().length;
            double offCpuMs = offCpu / 1e6 / off8.nanos().length;
            double udsCpuMs = udsCpu / 1e6 / uds8.nanos().length;

            System.out.println("# batch size formed vs offered load (batching on) ...");
            List<String> table = new ArrayList<>();
            for (int c : LOADS) {
                String before = on.scrape();
                Samples s = WorkerBenchmark.measure(c, () -> callOn, 0, BLOCK * 2);
                String after = on.scrape();
                double runs = delta(before, after, "worker_batch_size_count");
                double seqs = delta(before, after, "worker_batch_size_sum");
                Result r = s.result("", c);
                table.add(String.format(
                        Locale.ROOT,
                        "| %d | %.0f | %.2f | %.3f | %.3f |",
                        c,
                        r.throughput(),
                        seqs / runs,
                        r.p50(),
                        r.p99()));
            }
            chOn.shutdownNow();
            chOff.shutdownNow();
            chUds.shutdownNow();

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
            System.out.println(
                    "| clients (batching on) | throughput (req/s) | mean batch size | p50 (ms) | p99 (ms) |");
            System.out.println("| ---: | ---: | ---: | ---: | ---: |");
            table.forEach(System.out::println);
            System.out.println();
            notes.add(String.format(
                    Locale.ROOT,
                    "# 32 clients: batched throughput = %.2fx raw (target >= 2); p99 %.1f vs raw %.1f ms",
                    b32.throughput() / r32.throughput(),
                    b32.p99(),
                    r32.p99()));
            notes.add(String.format(
                    Locale.ROOT, "# 1 client: p50 batching on - off = %+.3f ms (target <= +0.3)", b1.p50() - u1.p50()));
            notes.add(String.format(
                    Locale.ROOT,
                    "# 8 clients: CPU per request, worker batching off %.3f ms vs raw loop %.3f ms = %.2fx"
                            + " (target <= 1.1)",
                    offCpuMs,
                    rawCpuMs,
                    offCpuMs / rawCpuMs));
            notes.add(String.format(
                    Locale.ROOT,
                    "# 8 clients: CPU per request over the Unix socket %.3f ms = %.2fx raw; 1 client p50 TCP %.3f ms,"
                            + " Unix socket %.3f ms (%+.3f)",
                    udsCpuMs,
                    udsCpuMs / rawCpuMs,
                    t1.p50(),
                    s1.p50(),
                    s1.p50() - t1.p50()));
            notes.add(String.format(
                    Locale.ROOT,
                    "# worker resident memory after the run: batching on %d MiB, off %d MiB (VmRSS)",
                    rssMib(on.process.pid()),
                    rssMib(unbatched.process.pid())));
            notes.forEach(System.out::println);
        } finally {
            on.stop();
            unbatched.stop();
            udsLoop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
            Files.deleteIfExists(off);
        }
    }

    static ManagedChannel channel(Worker w) {
        return ManagedChannelBuilder.forAddress("127.0.0.1", w.grpcPort)
                .usePlaintext()
                .build();
    }

    static long rssMib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    static double delta(String before, String after, String name) {
        return Worker.gauge(after, name) - Worker.orZero(Worker.gauge(before, name));
    }
}
