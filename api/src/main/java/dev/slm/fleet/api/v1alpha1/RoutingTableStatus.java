package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class RoutingTableStatus {
    @JsonPropertyDescription("ConfigMap holding routing-table.json.")
    public String configMap;

    @JsonPropertyDescription("Monotonic version, bumped only when the content changes.")
    public Long version;

    @JsonPropertyDescription("sha256 (hex) of the table's tasks, as in the ConfigMap.")
    public String contentHash;

    @JsonPropertyDescription("Ready endpoints over all tasks.")
    public Integer endpoints;
}
