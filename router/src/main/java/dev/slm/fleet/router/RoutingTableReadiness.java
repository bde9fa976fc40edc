package dev.slm.fleet.router;

import dev.slm.fleet.proto.v1.RoutingTable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Reports the routing table in use. Always UP: without a table (or with a stale one) the router still answers by
 * the rule-based fallback, which is better than refusing traffic while the control plane is away.
 */
@Readiness
@ApplicationScoped
public class RoutingTableReadiness implements HealthCheck {

    @Inject
    RouterRuntime runtime;

    @Override
    public HealthCheckResponse call() {
        RoutingTable table = runtime.registry().table();
        return HealthCheckResponse.named("routing-table")
                .up()
                .withData("source", runtime.sourceDescription())
                .withData("version", table == null ? -1 : table.getVersion())
                .withData("tasks", table == null ? 0 : table.getTasksCount())
                .withData("updates", runtime.tableUpdates())
                .build();
    }
}
