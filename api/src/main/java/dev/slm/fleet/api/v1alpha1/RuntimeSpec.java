package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class RuntimeSpec {
    @Min(1)
    @Max(256)
    @JsonPropertyDescription("ONNX Runtime intra-op threads per pod.")
    public Integer intraOpThreads;

    @Min(1)
    @Max(64)
    @JsonPropertyDescription("ONNX Runtime inter-op threads per pod.")
    public Integer interOpThreads;

    @Min(1)
    @Max(100000)
    @JsonPropertyDescription("Bounded queue of critical requests per pod.")
    public Integer queueCritical;

    @Min(1)
    @Max(100000)
    @JsonPropertyDescription("Bounded queue of standard requests per pod.")
    public Integer queueStandard;

    @Min(0)
    @Max(100000)
    @JsonPropertyDescription("Bounded queue of sheddable requests per pod.")
    public Integer queueSheddable;

    @Min(1)
    @Max(16777216)
    @JsonPropertyDescription("Largest accepted request input in bytes.")
    public Integer maxInputBytes;

    @Min(1)
    @Max(131072)
    @JsonPropertyDescription("Largest accepted request input in tokens.")
    public Integer maxInputTokens;

    @JsonPropertyDescription("Batching in the worker: dynamic for encoder requests, continuous for generate sessions.")
    public BatchingSpec batching;

    @JsonPropertyDescription("Worker image; defaults to the operator's --worker-image.")
    public String image;
}
