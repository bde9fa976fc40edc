package dev.slm.fleet.operator.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.placement.Accelerator;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The execution provider each ready worker pod says it runs on, for SlmWorker status.executionProvider and
 * providerFallback. Only the pod knows (ONNX Runtime may fall back from CUDA to CPU), so it is read from the pod's
 * readiness endpoint (GET /q/health/ready, data executionProvider / providerFallback) once per pod, in the
 * background: a reconcile never waits on a pod. Pods on a class without a GPU provider are not asked: their
 * worker opens a CPU session only.
 */
public final class ProviderReports {

    /** What one pod reported. */
    public record Report(String provider, String fallback) {}

    /** The pool's status fields; {@code pending} when a ready pod has not answered yet (recheck soon). */
    public record Summary(String executionProvider, String providerFallback, boolean pending) {}

    private static final Duration RETRY_AFTER = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Function<Pod, java.util.concurrent.CompletableFuture<Optional<Report>>> fetch;
    private final Clock clock;
    /** Per pool (namespace/name): pod UID -> its report; a pool's entries are pruned to its ready pods. */
    private final Map<String, Map<String, Report>> known = new ConcurrentHashMap<>();

    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> failedAt = new ConcurrentHashMap<>();

    public ProviderReports(Clock clock) {
        this(readinessFetcher(), clock);
    }

    ProviderReports(Function<Pod, java.util.concurrent.CompletableFuture<Optional<Report>>> fetch, Clock clock) {
        this.fetch = fetch;
        this.clock = clock;
    }

    public Summary summarise(String pool, Accelerator accelerator, Collection<Pod> readyPods) {
        if (readyPods.isEmpty() || !accelerator.gpu()) {
            Map<String, Report> gone = known.remove(pool);
            if (gone != null) failedAt.keySet().removeAll(gone.keySet());
            return readyPods.isEmpty() ? new Summary(null, null, false) : new Summary("cpu", null, false);
        }
        Map<String, Report> reportsOfPool = known.computeIfAbsent(pool, k -> new ConcurrentHashMap<>());
        List<Report> reports = new ArrayList<>();
        boolean pending = false;
        Set<String> current = new TreeSet<>();
        for (Pod pod : readyPods) {
            String uid = pod.getMetadata().getUid();
            if (uid == null) continue;
            current.add(uid);
            Report r = reportsOfPool.get(uid);
            if (r != null) {
                reports.add(r);
            } else if (ask(reportsOfPool, uid, pod)) {
                pending = true;
            }
        }
        reportsOfPool.keySet().retainAll(current);
        return summary(reports, pending);
    }

    /** Starts a fetch unless one runs or the last one failed recently; true while the answer is awaited. */
    private boolean ask(Map<String, Report> reportsOfPool, String uid, Pod pod) {
        if (inFlight.contains(uid)) {
            return true;
        }
        Instant failed = failedAt.get(uid);
        if (failed != null && clock.instant().isBefore(failed.plus(RETRY_AFTER))) {
            return false;
        }
        inFlight.add(uid);
        fetch.apply(pod).whenComplete((report, error) -> {
            if (report != null && report.isPresent()) {
                reportsOfPool.put(uid, report.get());
                failedAt.remove(uid);
            } else {
                failedAt.put(uid, clock.instant());
            }
            inFlight.remove(uid);
        });
        return true;
    }

    static Summary summary(List<Report> reports, boolean pending) {
        if (reports.isEmpty()) {
            return new Summary(null, null, pending);
        }
        Set<String> providers = new TreeSet<>();
        Set<String> fallbacks = new TreeSet<>();
        for (Report r : reports) {
            providers.add(r.provider());
            if (r.fallback() != null && !r.fallback().isBlank()) fallbacks.add(r.fallback());
        }
        return new Summary(
                String.join(",", providers), fallbacks.isEmpty() ? null : String.join(" | ", fallbacks), pending);
    }

    /** Parses the worker's /q/health/ready body (MicroProfile Health JSON). */
    static Optional<Report> parse(String body) {
        try {
            for (JsonNode check : JSON.readTree(body).path("checks")) {
                JsonNode data = check.path("data");
                if (data.hasNonNull("executionProvider")) {
                    String fallback = data.hasNonNull("providerFallback")
                            ? data.get("providerFallback").asText()
                            : null;
                    return Optional.of(new Report(data.get("executionProvider").asText(), fallback));
                }
            }
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Function<Pod, java.util.concurrent.CompletableFuture<Optional<Report>>> readinessFetcher() {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        return pod -> {
            String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            if (ip == null || ip.isBlank()) {
                return java.util.concurrent.CompletableFuture.completedFuture(Optional.empty());
            }
            String host = ip.contains(":") ? "[" + ip + "]" : ip;
            HttpRequest request = HttpRequest.newBuilder(
                            URI.create("http://" + host + ":" + Labels.HTTP_PORT + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(3))
                    .GET()
                    .build();
            return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .thenApply(r -> r.statusCode() == 200 ? parse(r.body()) : Optional.<Report>empty())
                    .exceptionally(e -> Optional.empty());
        };
    }
}
