package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class TaskStatus {
    @JsonPropertyDescription("Task name.")
    public String task;

    @JsonPropertyDescription("Ready endpoints in the routing table for this task.")
    public Integer readyEndpoints;

    @JsonPropertyDescription("SlmWorkers serving this task.")
    public List<String> workers;
}
