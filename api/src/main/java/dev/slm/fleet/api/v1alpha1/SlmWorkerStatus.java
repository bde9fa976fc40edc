package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SlmWorkerStatus {
    @JsonPropertyDescription("The generation this status describes.")
    public Long observedGeneration;

    @StatusReplicas
    @JsonPropertyDescription("Pods of the pool.")
    public Integer replicas;

    @JsonPropertyDescription("Pods ready to serve.")
    public Integer readyReplicas;

    @LabelSelector
    @JsonPropertyDescription("Label selector of the pods, for the scale subresource.")
    public String selector;

    @JsonPropertyDescription("The hardware class in use now (the preferred one or a fallback).")
    public String hardwareClass;

    @JsonPropertyDescription("Why the pool runs on a fallback class; empty on the preferred class.")
    public String fallbackReason;

    @JsonPropertyDescription("When the pool moved to the class in use (RFC 3339).")
    public String classSince;

    @JsonPropertyDescription(
            "The ONNX Runtime execution provider the ready pods report they run on (Describe), e.g. cuda or cpu; comma-separated when they differ.")
    public String executionProvider;

    @JsonPropertyDescription(
            "ProviderFallback: why the pods run on a later execution provider than their class's first one; empty when they do not.")
    public String providerFallback;

    @JsonPropertyDescription("Nodes the ready pods run on.")
    public List<String> nodes;

    @JsonPropertyDescription("Model digest the ready pods serve.")
    public String modelDigest;

    @JsonPropertyDescription("Ready, Progressing and Degraded, each with observedGeneration and a reason.")
    public List<Condition> conditions = new ArrayList<>();
}
