package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.List;

/** Default sampling of a generate worker (fleet.slm.v1.SamplingParams). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SamplingSpec {
    @Min(1)
    @Max(8192)
    @JsonPropertyDescription("Maximum new tokens per request.")
    public Integer maxTokens;

    @Min(0)
    @Max(2)
    @JsonPropertyDescription("Sampling temperature; 0 means greedy.")
    public Double temperature;

    @Min(0)
    @Max(1000)
    @JsonPropertyDescription("Top-k sampling; 0 disables it.")
    public Integer topK;

    @Min(0)
    @Max(1)
    @JsonPropertyDescription("Nucleus sampling; 0 or 1 disables it.")
    public Double topP;

    @JsonPropertyDescription("Stop sequences.")
    public List<String> stop;

    @JsonPropertyDescription("Random seed; 0 means random.")
    public Long seed;
}
