package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class WarmupSpec {
    @Min(0)
    @Max(10000)
    @JsonPropertyDescription("Inference runs on synthetic input before the pod reports ready (default 3).")
    public Integer iterations;

    @Min(10)
    @Max(3600)
    @JsonPropertyDescription("Upper bound for model load plus warm-up; sizes the startup probe (default 300).")
    public Integer startupTimeoutSeconds;
}
