package dev.slm.fleet.cli;

import dev.slm.fleet.proto.v1.ChatEvent;
import dev.slm.fleet.proto.v1.ChatRequest;
import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.RouterServiceGrpc;
import dev.slm.fleet.proto.v1.ServedBy;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Load generator for the router (not a test): starts local mode from config/samples/chatbot.yaml, then measures
 * router overhead, end-to-end chat latency, time to first token and behaviour under 2x overload, and prints
 * markdown tables. {@code ./slm bench}.
 */
public final class RouterBench {

    private static final String[] TEXTS = {
        "where is my order 12345",
        "what are your opening hours",
        "book an appointment for tomorrow",
        "I want my money back",
        "hello"
    };

    public static void main(String[] args) throws Exception {
        Path root =
                Path.of(System.getProperty("slm.root", ".")).toAbsolutePath().normalize();
        Path file = args.length > 0 ? Path.of(args[0]) : root.resolve(LocalMode.DEFAULT_FILE);
        LocalMode local = new LocalMode(root, file, LocalMode.Options.defaults());
        Runtime.getRuntime().addShutdownHook(new Thread(local::stopAll));
        try {
            run(local, local.startFleet());
        } finally {
            local.stopAll();
        }
        System.exit(0);
    }

    static LocalMode.WorkerSpec worker(LocalMode.Fleet fleet, String task) {
        return fleet.ready().stream()
                .filter(w -> w.task().equals(task))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no ready " + task + " worker"));
    }

    static void run(LocalMode local, LocalMode.Fleet fleet) throws Exception {
        LocalMode.WorkerSpec intent = worker(fleet, "classify-intent");
        LocalMode.WorkerSpec slots = worker(fleet, "extract-slots");
        ManagedChannel routerCh = NettyChannelBuilder.forAddress("127.0.0.1", fleet.routerGrpc())
                .usePlaintext()
                .build();
        ManagedChannel intentCh = NettyChannelBuilder.forAddress("127.0.0.1", intent.grpcPort())
                .usePlaintext()
                .build();
        var router = RouterServiceGrpc.newBlockingStub(routerCh);
        var direct = InferenceServiceGrpc.newBlockingStub(intentCh);
        System.out.println("\nwarming up ...");

        // 1. Overhead: the router with only an intent worker in its table (answers by template) vs the worker itself.
        awaitTable(fleet.routerHttp(), local.writeTable(fleet.routingFile(), List.of(intent)));
        // Critical priority, so that up to the class's queue limit every request really reaches the worker
        // (a standard request past its threshold would be answered by template without calling it).
        Supplier<Runnable> viaRouter = () -> () -> drain(router.withDeadlineAfter(5, TimeUnit.SECONDS)
                .chat(ChatRequest.newBuilder()
                        .setText(text())
                        .setMeta(RequestMeta.newBuilder().setPriority(Priority.PRIORITY_CRITICAL))
                        .build()));
        Supplier<Runnable> toWorker = () -> () -> direct.withDeadlineAfter(5, TimeUnit.SECONDS)
                .classify(ClassifyRequest.newBuilder()
                        .setMeta(RequestMeta.getDefaultInstance())
                        .setText(text())
                        .build());
        // The JVMs compile their request paths for tens of seconds on a small machine: measure after that.
        double warmSeconds = Double.parseDouble(System.getProperty("slm.bench.warmup-seconds", "20"));
        System.out.printf(
                Locale.ROOT, "(%.0f s of load through the router and straight to the worker first)%n", warmSeconds);
        long warmUntil = System.nanoTime() + (long) (warmSeconds * 1e9);
        while (System.nanoTime() < warmUntil) {
            closedLoop(viaRouter, 4, 200);
            closedLoop(toWorker, 4, 200);
        }
        System.out.println("\n### Router overhead (gRPC Chat through the router vs gRPC Classify on the worker)\n");
        System.out.println(
                "| clients | requests | direct p50 ms | direct p99 ms | via router p50 ms | via router p99 ms "
                        + "| overhead p50 ms | overhead p99 ms |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (int clients : new int[] {1, 32}) {
            int n = clients == 1 ? 2000 : 6400;
            // Interleaved blocks, so that drift on a shared machine (JIT, other tenants) hits both paths alike.
            int block = clients * 50;
            List<double[]> ds = new ArrayList<>();
            List<double[]> rs = new ArrayList<>();
            for (int done = 0; done < n; done += block) {
                ds.add(closedLoop(toWorker, clients, block));
                rs.add(closedLoop(viaRouter, clients, block));
            }
            double[] d = concatSorted(ds);
            double[] r = concatSorted(rs);
            System.out.printf(
                    Locale.ROOT,
                    "| %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |%n",
                    clients,
                    n,
                    pct(d, 50),
                    pct(d, 99),
                    pct(r, 50),
                    pct(r, 99),
                    pct(r, 50) - pct(d, 50),
                    pct(r, 99) - pct(d, 99));
        }

        // 2. End-to-end chat: intent + slots in parallel, then the rule-based answer.
        awaitTable(fleet.routerHttp(), local.writeTable(fleet.routingFile(), List.of(intent, slots)));
        closedLoop(viaRouter, 2, 1000);
        double[] e2e = closedLoop(viaRouter, 1, 1000);
        System.out.println("\n### End-to-end chat, intent + slots + fallback answer (1 client)\n");
        System.out.println("| requests | p50 ms | p99 ms | max ms |");
        System.out.println("|---|---|---|---|");
        System.out.printf(
                Locale.ROOT, "| %d | %.3f | %.3f | %.3f |%n", e2e.length, pct(e2e, 50), pct(e2e, 99), pct(e2e, 100));

        // 3. Generator path: time to first token.
        boolean haveGenerator = fleet.ready().stream().anyMatch(w -> w.task().equals("generate"));
        if (haveGenerator) {
            awaitTable(fleet.routerHttp(), local.writeTable(fleet.routingFile(), fleet.ready()));
            List<Double> ttft = new ArrayList<>();
            List<Double> total = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                Iterator<ChatEvent> it = router.withDeadlineAfter(10, TimeUnit.SECONDS)
                        .chat(ChatRequest.newBuilder()
                                .setText(TEXTS[i % TEXTS.length])
                                .build());
                while (it.hasNext()) {
                    ChatEvent e = it.next();
                    if (e.hasSummary() && e.getSummary().getServedBy() == ServedBy.SERVED_BY_GENERATOR && i >= 50) {
                        ttft.add(e.getSummary().getTimeToFirstTokenMs());
                        total.add(e.getSummary().getTotalLatencyMs());
                    }
                }
            }
            double[] t = ttft.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double[] tt =
                    total.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.println("\n### Generator path (intent + slots + retrieval + tiny LM, server-side timings)\n");
            System.out.println("| requests | TTFT p50 ms | TTFT p99 ms | total p50 ms | total p99 ms |");
            System.out.println("|---|---|---|---|---|");
            System.out.printf(
                    Locale.ROOT,
                    "| %d | %.3f | %.3f | %.3f | %.3f |%n",
                    t.length,
                    pct(t, 50),
                    pct(t, 99),
                    pct(tt, 50),
                    pct(tt, 99));
        }

        // 4. Overload at 2x capacity with a priority mix (20% critical, 50% standard, 30% sheddable).
        awaitTable(fleet.routerHttp(), local.writeTable(fleet.routingFile(), fleet.ready()));
        long t0 = System.nanoTime();
        closedLoop(viaRouter, 16, 2000);
        double capacity = 2000 / ((System.nanoTime() - t0) / 1e9);
        System.out.printf(
                Locale.ROOT, "%nclosed-loop calls that failed (all phases before overload): %d%n", ERRORS.get());
        overload(RouterServiceGrpc.newStub(routerCh), capacity * 2, 10);
        routerCh.shutdownNow();
        intentCh.shutdownNow();
    }

    /** Waits until the router reports the routing-table version just written. */
    static void awaitTable(int routerHttp, long version) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var req = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + routerHttp + "/router/routing-table"))
                .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            String body = http.send(req, java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
            if (body.contains("\"version\":\"" + version + "\"") || body.contains("\"version\":" + version + ",")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("router did not apply routing table version " + version);
    }

    private static final AtomicInteger COUNTER = new AtomicInteger();
    static final AtomicInteger ERRORS = new AtomicInteger();

    static String text() {
        return TEXTS[COUNTER.incrementAndGet() % TEXTS.length];
    }

    static void drain(Iterator<ChatEvent> it) {
        while (it.hasNext()) {
            it.next();
        }
    }

    /** Runs n calls over the given number of client threads; returns sorted latencies in ms. */
    static double[] closedLoop(Supplier<Runnable> call, int clients, int n) throws InterruptedException {
        double[] lat = new double[n];
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Runnable r = call.get();
            Thread t = new Thread(() -> {
                int i;
                while ((i = next.getAndIncrement()) < n) {
                    long s = System.nanoTime();
                    try {
                        r.run();
                    } catch (RuntimeException e) {
                        ERRORS.incrementAndGet();
                    }
                    lat[i] = (System.nanoTime() - s) / 1e6;
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        Arrays.sort(lat);
        return lat;
    }

    static double[] concatSorted(List<double[]> parts) {
        double[] all = parts.stream().flatMapToDouble(Arrays::stream).toArray();
        Arrays.sort(all);
        return all;
    }

    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    record Outcome(String priority, String result, double ms) {}

    static void overload(RouterServiceGrpc.RouterServiceStub stub, double rps, int seconds)
            throws InterruptedException {
        int total = (int) (rps * seconds);
        List<Outcome> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(total);
        ScheduledExecutorService sched = Executors.newScheduledThreadPool(2);
        long periodNanos = (long) (1e9 / rps);
        for (int i = 0; i < total; i++) {
            int k = i;
            Priority p = k % 10 < 2
                    ? Priority.PRIORITY_CRITICAL
                    : k % 10 < 7 ? Priority.PRIORITY_STANDARD : Priority.PRIORITY_SHEDDABLE;
            sched.schedule(
                    () -> {
                        long s = System.nanoTime();
                        String name = p.name().replace("PRIORITY_", "").toLowerCase(Locale.ROOT);
                        stub.withDeadlineAfter(8, TimeUnit.SECONDS)
                                .chat(
                                        ChatRequest.newBuilder()
                                                .setText(text())
                                                .setMeta(
                                                        RequestMeta.newBuilder().setPriority(p))
                                                .build(),
                                        new StreamObserver<>() {
                                            String result = "no summary";

                                            @Override
                                            public void onNext(ChatEvent e) {
                                                if (e.hasSummary()) {
                                                    result = e.getSummary()
                                                            .getServedBy()
                                                            .name()
                                                            .replace("SERVED_BY_", "")
                                                            .toLowerCase(Locale.ROOT);
                                                }
                                            }

                                            @Override
                                            public void onError(Throwable t) {
                                                Status st = Status.fromThrowable(t);
                                                outcomes.add(new Outcome(
                                                        name,
                                                        st.getCode() == Status.Code.RESOURCE_EXHAUSTED
                                                                ? "shed"
                                                                : "error " + st.getCode(),
                                                        (System.nanoTime() - s) / 1e6));
                                                done.countDown();
                                            }

                                            @Override
                                            public void onCompleted() {
                                                outcomes.add(new Outcome(name, result, (System.nanoTime() - s) / 1e6));
                                                done.countDown();
                                            }
                                        });
                    },
                    k * periodNanos,
                    TimeUnit.NANOSECONDS);
        }
        done.await(seconds + 30L, TimeUnit.SECONDS);
        sched.shutdownNow();
        System.out.printf(
                Locale.ROOT,
                "%n### Overload: %.0f req/s offered (2x the measured capacity) for %d s, "
                        + "20%% critical / 50%% standard / 30%% sheddable%n%n",
                rps,
                seconds);
        System.out.println("| priority | sent | generator | fallback: overload | fallback: other | shed | errors "
                + "| p50 ms (answered) | p99 ms (answered) | p99 ms (shed) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (String pr : List.of("critical", "standard", "sheddable")) {
            List<Outcome> mine;
            synchronized (outcomes) {
                mine = outcomes.stream().filter(o -> o.priority().equals(pr)).toList();
            }
            Map<String, Integer> counts = new ConcurrentHashMap<>();
            mine.forEach(o -> counts.merge(
                    o.result().startsWith("fallback") && !o.result().equals("fallback_overload")
                            ? "fallback_other"
                            : o.result(),
                    1,
                    Integer::sum));
            double[] served = mine.stream()
                    .filter(o -> !o.result().equals("shed") && !o.result().startsWith("error"))
                    .mapToDouble(Outcome::ms)
                    .sorted()
                    .toArray();
            double[] shed = mine.stream()
                    .filter(o -> o.result().equals("shed"))
                    .mapToDouble(Outcome::ms)
                    .sorted()
                    .toArray();
            int errors = (int) mine.stream()
                    .filter(o -> o.result().startsWith("error") || o.result().equals("no summary"))
                    .count();
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %d | %d | %d | %d | %d | %d | %.2f | %.2f | %s |%n",
                    pr,
                    mine.size(),
                    counts.getOrDefault("generator", 0),
                    counts.getOrDefault("fallback_overload", 0),
                    counts.getOrDefault("fallback_other", 0),
                    counts.getOrDefault("shed", 0),
                    errors,
                    pct(served, 50),
                    pct(served, 99),
                    shed.length == 0 ? "-" : String.format(Locale.ROOT, "%.2f", pct(shed, 99)));
        }
    }
}
