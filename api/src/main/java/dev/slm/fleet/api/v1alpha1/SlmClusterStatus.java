package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SlmClusterStatus {
    @JsonPropertyDescription("The generation this status describes.")
    public Long observedGeneration;

    @JsonPropertyDescription("Per task, the ready endpoints and serving SlmWorkers.")
    public List<TaskStatus> tasks;

    @JsonPropertyDescription("The routing table the router reads.")
    public RoutingTableStatus routingTable;

    @JsonPropertyDescription("Nodes and pods per hardware class.")
    public List<ClassNodesStatus> hardwareClasses;

    @JsonPropertyDescription("Ready router pods.")
    public Integer routerReadyReplicas;

    @JsonPropertyDescription("Ready, Progressing and Degraded, each with observedGeneration and a reason.")
    public List<Condition> conditions = new ArrayList<>();
}
