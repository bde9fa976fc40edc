package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class BatchingSpec {
    @JsonPropertyDescription("Run requests queued together as one model run (classify-intent, extract-slots, embed)."
            + " Default: on, except embed with a dynamically quantised model; false = one run per request.")
    public Boolean enabled;

    @Min(1)
    @Max(256)
    @JsonPropertyDescription("Most sequences in one model run (default 8).")
    public Integer maxBatchSize;

    @Min(0)
    @Max(1000000)
    @JsonPropertyDescription("Microseconds a part-filled batch waits for more requests while every other inference"
            + " thread is busy (default 500); a lone request never waits.")
    public Integer maxWaitMicros;
}
