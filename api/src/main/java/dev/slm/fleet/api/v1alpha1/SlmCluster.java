package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One inference pipeline: hardware classes, stages, router and fallback policy. */
@Group(SlmWorker.GROUP)
@Version("v1alpha1")
@ShortNames("slmc")
@Categories("slm")
@AdditionalPrinterColumn(
        name = "Ready",
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Endpoints",
        jsonPath = ".status.routingTable.endpoints",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Table",
        jsonPath = ".status.routingTable.version",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Reason",
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class SlmCluster extends CustomResource<SlmClusterSpec, SlmClusterStatus> implements Namespaced {

    @Override
    @JsonPropertyDescription("Desired state of the pipeline: hardware classes, stages, router and health checks.")
    public SlmClusterSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription(
            "Observed state of the pipeline, written by the operator: routing table, tasks, hardware classes, conditions.")
    public SlmClusterStatus getStatus() {
        return super.getStatus();
    }
}
