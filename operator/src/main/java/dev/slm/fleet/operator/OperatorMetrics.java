package dev.slm.fleet.operator;

import com.sun.net.httpserver.HttpServer;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetricsV2;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The operator's one Micrometer registry, scraped as Prometheus text on /metrics next to /healthz. JOSDK's
 * {@link MicrometerMetricsV2} writes the reconciliation metrics into it ({@code reconciliations_*{controller_name}},
 * {@code events_received_total}, {@code custom_resources}); the operator adds its own counters ({@code slm_operator_*})
 * and the JVM's ({@code jvm_*}, {@code process_*}).
 */
public final class OperatorMetrics {
    public static final String APPLIES = "slm.operator.applies";
    public static final String ROUTING_TABLE_WRITES = "slm.operator.routing.table.writes";
    public static final String PLACEMENT_MOVES = "slm.operator.placement.moves";
    public static final String PODS_RELEASED = "slm.operator.pods.released";
    public static final String RECONCILE_TIMER = MicrometerMetricsV2.RECONCILIATION_EXECUTION_DURATION;
    public static final String CONTROLLER_TAG = "controller.name";

    private static final PrometheusMeterRegistry REGISTRY = registry();

    private OperatorMetrics() {}

    private static PrometheusMeterRegistry registry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    /** JOSDK's reconciliation metrics, without per-resource series (their cardinality grows with the fleet). */
    public static Metrics josdk() {
        return MicrometerMetricsV2.newBuilder(REGISTRY).build();
    }

    public static void inc(String name, String... tags) {
        Counter.builder(name).tags(tags).register(REGISTRY).increment();
    }

    /** The value of one counter (0 when it has not been incremented). */
    public static double count(String name, String... tags) {
        Counter c = REGISTRY.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /** How often {@code Reconciler.reconcile} ran, per controller name ("slmworker", "slmcluster"). */
    public static long reconciles(String controller) {
        return REGISTRY.find(RECONCILE_TIMER).tags(CONTROLLER_TAG, controller).timers().stream()
                .mapToLong(Timer::count)
                .sum();
    }

    /** Reconciles of both controllers. */
    public static long reconciles() {
        return reconciles("slmworker") + reconciles("slmcluster");
    }

    public static String scrape() {
        return REGISTRY.scrape();
    }

    public static HttpServer serve(String host, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext("/metrics", ex -> respond(ex, scrape(), "text/plain; version=0.0.4; charset=utf-8"));
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
