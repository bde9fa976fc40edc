package dev.slm.fleet.worker.serving;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * HTTP probes at /q/health: ready = SERVING; started = loading finished (either way); live stays UP after a
 * load failure so Kubernetes does not restart a worker whose model will fail again (the reason is reported).
 */
@ApplicationScoped
public class ModelHealthChecks {

    @Inject
    WorkerRuntime runtime;

    @Produces
    @Readiness
    HealthCheck ready() {
        return () -> response("model-serving", runtime.state() == ServingState.SERVING);
    }

    @Produces
    @Startup
    HealthCheck started() {
        return () -> response(
                "model-loaded", runtime.state() != ServingState.LOADING && runtime.state() != ServingState.WARMING_UP);
    }

    @Produces
    @Liveness
    HealthCheck live() {
        return () -> response("worker-process", true);
    }

    private HealthCheckResponse response(String name, boolean up) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(name)
                .status(up)
                .withData("state", runtime.state().name())
                .withData("reason", String.valueOf(runtime.reason()));
        TaskEngines e = runtime.engines();
        if (e != null) {
            // The operator reads these into SlmWorker status.executionProvider / providerFallback.
            b.withData("executionProvider", e.model().provider().active().id());
            e.model().provider().fallbackReason().ifPresent(why -> b.withData("providerFallback", why));
        }
        return b.build();
    }
}
