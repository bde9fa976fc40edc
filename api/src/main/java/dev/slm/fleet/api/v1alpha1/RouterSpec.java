package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value =
                "!has(self.defaultPriority) || (has(self.priorities) && self.priorities.exists(p, p.name == self.defaultPriority))",
        message = "router.defaultPriority must name one of router.priorities",
        fieldPath = ".defaultPriority",
        reason = "FieldValueInvalid")
public class RouterSpec {
    @Default("1")
    @Min(0)
    @Max(100)
    @JsonPropertyDescription("Router pods.")
    public Integer replicas;

    @JsonPropertyDescription("Router image; defaults to the operator's --router-image.")
    public String image;

    @Size(max = 16)
    @ValidationRule(
            value = "self.all(x, self.exists_one(y, y.name == x.name))",
            message = "priority names must be unique")
    @JsonPropertyDescription("Priority classes with bounded queues (default: critical, standard, sheddable).")
    public List<PrioritySpec> priorities;

    @Size(max = 63)
    @JsonPropertyDescription("Priority of requests that name none.")
    public String defaultPriority;

    @Min(0)
    @Max(1)
    @JsonPropertyDescription("Intent confidence below this goes to the fallback.")
    public Double confidenceThreshold;

    @Min(1)
    @Max(600000)
    @JsonPropertyDescription("End-to-end deadline in milliseconds when a request gives none.")
    public Integer defaultDeadlineMs;

    @JsonPropertyDescription("Fallback policy when a stage is overloaded, unsure or has no endpoint.")
    public FallbackSpec fallback;

    @JsonPropertyDescription("Router container resources.")
    public ResourceRequirements resources;
}
