package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SlmClusterSpec {
    @Size(max = 16)
    @ValidationRule(
            value = "self.all(x, self.exists_one(y, y.name == x.name))",
            message = "hardwareClasses names must be unique")
    @JsonPropertyDescription(
            "Hardware classes by name. When empty: gpu (nodeSelector nvidia.com/gpu.present=true, toleration nvidia.com/gpu, resource nvidia.com/gpu) and cpu (nodes without nvidia.com/gpu.present).")
    public List<HardwareClass> hardwareClasses;

    @Required
    @Size(min = 1, max = 16)
    @JsonPropertyDescription("Pipeline stages in order; the tasks of one stage run in parallel.")
    public List<StageSpec> pipeline;

    @JsonPropertyDescription(
            "The router: replicas, priorities and queue limits, confidence threshold, fallback policy.")
    public RouterSpec router;

    @JsonPropertyDescription("Knowledge base the router retrieves facts from for the generator.")
    public RetrievalSpec retrieval;

    @JsonPropertyDescription("Answer post-processing: blocked words, length cap.")
    public PostProcessSpec postProcess;

    @JsonPropertyDescription("Probe and placement timing for the pools of this cluster.")
    public HealthCheckSpec healthCheck;
}
