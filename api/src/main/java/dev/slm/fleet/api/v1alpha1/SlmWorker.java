package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One pool of replicas of one model for one task. */
@Group(SlmWorker.GROUP)
@Version("v1alpha1")
@ShortNames("slmw")
@Categories("slm")
@AdditionalPrinterColumn(name = "Cluster", jsonPath = ".spec.cluster", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Task", jsonPath = ".spec.task", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Class", jsonPath = ".status.hardwareClass", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Desired", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Ready",
        jsonPath = ".status.readyReplicas",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Status",
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class SlmWorker extends CustomResource<SlmWorkerSpec, SlmWorkerStatus> implements Namespaced {
    public static final String GROUP = "fleet.slm.dev";

    @Override
    @JsonPropertyDescription("Desired state of the pool: cluster, task, model, hardware, replicas and runtime.")
    public SlmWorkerSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription(
            "Observed state of the pool, written by the operator: replicas, hardware class in use, conditions.")
    public SlmWorkerStatus getStatus() {
        return super.getStatus();
    }
}
