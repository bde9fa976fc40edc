package dev.slm.fleet.router.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The router's Prometheus metrics. Names follow the source article: request_latency_seconds (tag stage, with
 * stage="end_to_end" for the whole request), time_to_first_token_seconds, router_shed_total, router_fallback_total,
 * router_queue_depth, error_rate (as router_errors_total, rate() it), cpu_utilization_percent.
 */
public final class RouterMetrics {

    private final MeterRegistry registry;

    public RouterMetrics(MeterRegistry registry) {
        this.registry = registry;
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            Gauge.builder("cpu_utilization_percent", sun, b -> Math.max(0, b.getProcessCpuLoad()) * 100)
                    .description("CPU used by the router process")
                    .tag("component", "router")
                    .register(registry);
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    private Timer latency(String stage, String status) {
        return Timer.builder("request_latency_seconds")
                .description("Latency per stage and end to end")
                .tags("stage", stage, "status", status)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    public void stage(String stage, double ms, String status) {
        latency(stage, status).record((long) (ms * 1e6), TimeUnit.NANOSECONDS);
    }

    public void endToEnd(double ms, String servedBy) {
        latency("end_to_end", servedBy).record((long) (ms * 1e6), TimeUnit.NANOSECONDS);
    }

    public void timeToFirstToken(double ms) {
        Timer.builder("time_to_first_token_seconds")
                .description("From request arrival to the first generated token")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry)
                .record((long) (ms * 1e6), TimeUnit.NANOSECONDS);
    }

    public void shed(String stage, String priority) {
        Counter.builder("router_shed_total")
                .description("Requests rejected with 429 / RESOURCE_EXHAUSTED")
                .tags("stage", stage, "priority", priority, "reason", "queue_threshold")
                .register(registry)
                .increment();
    }

    public void fallback(String reason) {
        Counter.builder("router_fallback_total")
                .description("Answers served by the rule-based fallback")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    public void error(String kind) {
        Counter.builder("router_errors_total")
                .description("Requests that ended in an error")
                .tag("kind", kind)
                .register(registry)
                .increment();
    }

    public void retry(String stage, String code) {
        Counter.builder("router_retries_total")
                .tags("stage", stage, "code", code)
                .register(registry)
                .increment();
    }

    public void ejected(String stage) {
        Counter.builder("router_endpoint_ejections_total")
                .tag("stage", stage)
                .register(registry)
                .increment();
    }

    public void cancelled() {
        Counter.builder("router_cancelled_total")
                .description("Requests whose client went away")
                .register(registry)
                .increment();
    }

    public void rejectedInput(String reason) {
        Counter.builder("router_bad_requests_total")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    public void queueDepth(String stage, Supplier<Number> depth) {
        Gauge.builder("router_queue_depth", depth)
                .description("Requests admitted or waiting at a stage")
                .tag("stage", stage)
                .register(registry);
    }
}
