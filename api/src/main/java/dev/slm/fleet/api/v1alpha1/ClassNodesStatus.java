package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class ClassNodesStatus {
    @JsonPropertyDescription("Hardware class name.")
    public String name;

    @JsonPropertyDescription("Ready, schedulable nodes matching the class.")
    public Integer readyNodes;

    @JsonPropertyDescription("Worker pods of this cluster running on the class.")
    public Integer pods;
}
