package dev.slm.fleet.operator;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Prometheus text counters of the operator's own work, served on /metrics next to /healthz. */
public final class OperatorMetrics {
    private static final Map<String, AtomicLong> COUNTERS = new ConcurrentHashMap<>();

    private OperatorMetrics() {}

    public static void inc(String name, String labels) {
        COUNTERS.computeIfAbsent(
                        labels == null || labels.isEmpty() ? name : name + "{" + labels + "}", k -> new AtomicLong())
                .incrementAndGet();
    }

    public static long get(String key) {
        AtomicLong v = COUNTERS.get(key);
        return v == null ? 0 : v.get();
    }

    public static String scrape() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(COUNTERS)
                .forEach((k, v) -> sb.append(k).append(' ').append(v.get()).append('\n'));
        Runtime rt = Runtime.getRuntime();
        sb.append("slm_operator_jvm_heap_used_bytes ")
                .append(rt.totalMemory() - rt.freeMemory())
                .append('\n');
        return sb.toString();
    }

    public static HttpServer serve(String host, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext("/metrics", ex -> respond(ex, scrape(), "text/plain; version=0.0.4"));
        server.createContext("/healthz", ex -> respond(ex, "ok\n", "text/plain"));
        server.start();
        return server;
    }

    private static void respond(com.sun.net.httpserver.HttpExchange ex, String body, String type) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
