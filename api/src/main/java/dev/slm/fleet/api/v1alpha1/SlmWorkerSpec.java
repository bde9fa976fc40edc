package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "!has(self.sessionAffinity) || !self.sessionAffinity || self.task in ['generate', 'custom']",
        message = "sessionAffinity is only supported for task generate or custom",
        fieldPath = ".sessionAffinity",
        reason = "FieldValueInvalid")
@ValidationRule(value = "self.cluster == oldSelf.cluster", message = "cluster is immutable", fieldPath = ".cluster")
public class SlmWorkerSpec {
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @JsonPropertyDescription("Name of the SlmCluster (same namespace) whose pipeline this pool serves.")
    public String cluster;

    @Required
    @JsonPropertyDescription("The task the pool serves.")
    public Task task;

    @Required
    @JsonPropertyDescription(
            "The model: where it comes from, its digest pin, quantization, tokenizer and task parameters.")
    public ModelSpec model;

    @Required
    @JsonPropertyDescription(
            "Where the pool runs: preferred hardware class, fallbacks, extra scheduling constraints, resources.")
    public HardwareSpec hardware;

    @SpecReplicas
    @Default("1")
    @Min(0)
    @Max(1000)
    @JsonPropertyDescription(
            "Number of pods. Served by the scale subresource, so kubectl scale and a HorizontalPodAutoscaler work.")
    public Integer replicas;

    @JsonPropertyDescription(
            "Keep a session on one pod (KV cache). Runs the pool as a StatefulSet; only for generate or custom.")
    public Boolean sessionAffinity;

    @Min(1)
    @Max(600000)
    @JsonPropertyDescription("Latency budget of this stage in milliseconds, published in the routing table.")
    public Integer latencyBudgetMs;

    @JsonPropertyDescription("Runtime settings: threads, queues, input limits, image.")
    public RuntimeSpec runtime;

    @JsonPropertyDescription("Warm-up before the pod reports ready.")
    public WarmupSpec warmup;
}
