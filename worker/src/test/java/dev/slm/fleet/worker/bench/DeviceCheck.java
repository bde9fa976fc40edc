package dev.slm.fleet.worker.bench;

import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.DescribeResponse;
import dev.slm.fleet.proto.v1.GenerateChunk;
import dev.slm.fleet.proto.v1.GenerateRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.SamplingParams;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Load generator of e2e/device-check (not a test): the same runs against workers on different execution providers,
 * side by side. Classify p50/p99 and throughput at 1 and 32 clients, measured in interleaved blocks so machine drift
 * hits every provider alike; then time to first token and decode tokens/s of a generator. Prints a markdown table.
 *
 * <p>Arguments: {@code classify LABEL=PORT ...} and/or {@code generate LABEL=PORT ...} (workers on 127.0.0.1).
 * System properties: check.blocks (default 3), check.block-seconds (default 3), check.generations (default 12),
 * check.max-tokens (default 64).
 */
public final class DeviceCheck {

    static final String UTTERANCE = "hello , where is my order 12345 ? i ordered it last friday please";
    static final String PROMPT = "The customer asks where their order is. A short, polite answer:";
    static final int[] CLIENTS = {1, 32};
    static final int BLOCKS = Integer.getInteger("check.blocks", 3);
    static final double BLOCK_SECONDS = Double.parseDouble(System.getProperty("check.block-seconds", "3"));
    static final int GENERATIONS = Integer.getInteger("check.generations", 12);
    static final int MAX_TOKENS = Integer.getInteger("check.max-tokens", 64);

    private DeviceCheck() {}

    public static void main(String[] args) throws Exception {
        Map<String, Integer> classify = new LinkedHashMap<>();
        Map<String, Integer> generate = new LinkedHashMap<>();
        Map<String, Integer> into = classify;
        for (String a : args) {
            switch (a) {
                case "classify" -> into = classify;
                case "generate" -> into = generate;
                default -> {
                    String[] kv = a.split("=", 2);
                    into.put(kv[0], Integer.parseInt(kv[1]));
                }
            }
        }
        System.out.println("| run | execution provider | fallback | clients | p50 ms | p99 ms | req/s |");
        System.out.println("|---|---|---|---|---|---|---|");
        Map<String, ManagedChannel> channels = new LinkedHashMap<>();
        classify.forEach((label, port) -> channels.put(label, channel(port)));
        for (int clients : CLIENTS) {
            Map<String, List<Long>> samples = new LinkedHashMap<>();
            Map<String, double[]> seconds = new LinkedHashMap<>();
            channels.keySet().forEach(l -> {
                samples.put(l, new ArrayList<>());
                seconds.put(l, new double[1]);
            });
            for (Map.Entry<String, ManagedChannel> e : channels.entrySet()) {
                classifyBlock(e.getValue(), clients, 1.0, new ArrayList<>());
            }
            for (int b = 0; b < BLOCKS; b++) {
                for (Map.Entry<String, ManagedChannel> e : channels.entrySet()) {
                    seconds.get(e.getKey())[0] +=
                            classifyBlock(e.getValue(), clients, BLOCK_SECONDS, samples.get(e.getKey()));
                }
            }
            for (Map.Entry<String, ManagedChannel> e : channels.entrySet()) {
                long[] sorted = samples.get(e.getKey()).stream()
                        .mapToLong(Long::longValue)
                        .sorted()
                        .toArray();
                DescribeResponse d = describe(e.getValue());
                System.out.printf(
                        Locale.ROOT,
                        "| classify %s | %s | %s | %d | %.2f | %.2f | %.0f |%n",
                        e.getKey(),
                        d.getExecutionProvider(),
                        d.getProviderFallback().isEmpty() ? "-" : "yes",
                        clients,
                        pct(sorted, 50),
                        pct(sorted, 99),
                        sorted.length / seconds.get(e.getKey())[0]);
            }
        }
        channels.values().forEach(ManagedChannel::shutdownNow);
        if (!generate.isEmpty()) {
            System.out.println();
            System.out.println("| run | execution provider | model | TTFT p50 ms | TTFT p99 ms | decode tok/s |");
            System.out.println("|---|---|---|---|---|---|");
        }
        for (Map.Entry<String, Integer> e : generate.entrySet()) {
            ManagedChannel ch = channel(e.getValue());
            DescribeResponse d = describe(ch);
            generateOnce(ch, 0);
            long[] ttft = new long[GENERATIONS];
            double decodeSeconds = 0;
            long decodeTokens = 0;
            for (int i = 0; i < GENERATIONS; i++) {
                long[] r = generateOnce(ch, i + 1);
                ttft[i] = r[0];
                decodeSeconds += r[1] / 1e9;
                decodeTokens += r[2];
            }
            Arrays.sort(ttft);
            System.out.printf(
                    Locale.ROOT,
                    "| generate %s | %s | %s | %.1f | %.1f | %.1f |%n",
                    e.getKey(),
                    d.getExecutionProvider(),
                    d.getModelName(),
                    pct(ttft, 50),
                    pct(ttft, 99),
                    decodeTokens / Math.max(1e-9, decodeSeconds));
            ch.shutdownNow();
        }
    }

    static ManagedChannel channel(int port) {
        return ManagedChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .build();
    }

    static DescribeResponse describe(ManagedChannel ch) {
        return InferenceServiceGrpc.newBlockingStub(ch)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .describe(DescribeRequest.getDefaultInstance());
    }

    /** {@code clients} closed-loop clients for {@code seconds}; returns the seconds measured, latencies into out. */
    static double classifyBlock(ManagedChannel ch, int clients, double seconds, List<Long> out)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(clients);
        List<List<Long>> perClient = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            List<Long> mine = new ArrayList<>();
            perClient.add(mine);
            int id = c;
            Thread t = new Thread(() -> {
                var stub = InferenceServiceGrpc.newBlockingStub(ch);
                try {
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                                .classify(ClassifyRequest.newBuilder()
                                        .setMeta(meta("c" + id))
                                        .setText(UTTERANCE)
                                        .build());
                        mine.add(System.nanoTime() - t0);
                    }
                } finally {
                    done.countDown();
                }
            });
            t.setDaemon(true);
            t.start();
        }
        long start = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        done.await(60, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        perClient.forEach(out::addAll);
        return elapsed;
    }

    /** One streamed completion: {time to first token, decode nanos after it, tokens after the first}. */
    static long[] generateOnce(ManagedChannel ch, int i) {
        long t0 = System.nanoTime();
        long first = 0;
        long last = 0;
        int tokens = 0;
        Iterator<GenerateChunk> it = InferenceServiceGrpc.newBlockingStub(ch)
                .withDeadlineAfter(120, TimeUnit.SECONDS)
                .generate(GenerateRequest.newBuilder()
                        .setMeta(meta("g" + i))
                        .setPrompt(PROMPT)
                        .setSampling(SamplingParams.newBuilder()
                                .setMaxTokens(MAX_TOKENS)
                                .setTemperature(0))
                        .build());
        while (it.hasNext()) {
            GenerateChunk c = it.next();
            long now = System.nanoTime();
            if (!c.getText().isEmpty()) {
                if (first == 0) {
                    first = now;
                }
                last = now;
            }
            if (c.getIsEnd()) {
                tokens = c.getCompletionTokens();
            }
        }
        return new long[] {first - t0, Math.max(0, last - first), Math.max(0, tokens - 1)};
    }

    static RequestMeta meta(String session) {
        return RequestMeta.newBuilder()
                .setSessionId(session)
                .setPriority(Priority.PRIORITY_STANDARD)
                .build();
    }

    static double pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
