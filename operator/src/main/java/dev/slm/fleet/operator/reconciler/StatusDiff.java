package dev.slm.fleet.operator.reconciler;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Objects;

/** Compares statuses by their JSON form, so an unchanged status is never written. */
final class StatusDiff {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private StatusDiff() {}

    static boolean same(Object previous, Object next) {
        return Objects.equals(
                SERIALIZATION.convertValue(previous, com.fasterxml.jackson.databind.JsonNode.class),
                SERIALIZATION.convertValue(next, com.fasterxml.jackson.databind.JsonNode.class));
    }
}
