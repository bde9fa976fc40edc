package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class HealthCheckSpec {
    @Min(1)
    @Max(300)
    @JsonPropertyDescription("gRPC health probe period of worker pods in seconds (default 5).")
    public Integer periodSeconds;

    @Min(1)
    @Max(30)
    @JsonPropertyDescription("Failed probes before a worker pod is unready (default 3).")
    public Integer failureThreshold;

    @Min(0)
    @Max(86400)
    @JsonPropertyDescription(
            "How long pods may stay Pending as unschedulable before a pool moves to its next fallback class (default 60).")
    public Integer unschedulableGraceSeconds;
}
