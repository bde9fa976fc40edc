package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class BatchingSpec {
    @JsonPropertyDescription("Run requests queued together as one model run (classify-intent, extract-slots, embed);"
            + " for generate, decode concurrent sessions in shared steps (continuous batching). Default: on, except"
            + " embed with a dynamically quantised model; false = one run per request.")
    public Boolean enabled;

    @Min(1)
    @Max(256)
    @JsonPropertyDescription(
            "Most sequences in one model run; for generate, most sessions per decode step (default 8).")
    public Integer maxBatchSize;

    @Min(0)
    @Max(1000000)
    @JsonPropertyDescription("Microseconds a part-filled batch waits for more requests while every other inference"
            + " thread is busy (default 500); a lone request never waits. Not used by generate.")
    public Integer maxWaitMicros;
}
