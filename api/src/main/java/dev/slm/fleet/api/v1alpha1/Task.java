package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What an SlmWorker pool serves; the JSON value is the one used in SlmWorker.spec.task and in the routing table.
 * {@code custom}: a pool of the user's own image that serves InferenceService.Generate (docs/api.md, "Custom tasks").
 */
public enum Task {
    @JsonProperty("classify-intent")
    CLASSIFY_INTENT("classify-intent", dev.slm.fleet.proto.v1.Task.TASK_CLASSIFY_INTENT),
    @JsonProperty("extract-slots")
    EXTRACT_SLOTS("extract-slots", dev.slm.fleet.proto.v1.Task.TASK_EXTRACT_SLOTS),
    @JsonProperty("embed")
    EMBED("embed", dev.slm.fleet.proto.v1.Task.TASK_EMBED),
    @JsonProperty("generate")
    GENERATE("generate", dev.slm.fleet.proto.v1.Task.TASK_GENERATE),
    @JsonProperty("custom")
    CUSTOM("custom", dev.slm.fleet.proto.v1.Task.TASK_CUSTOM);

    private final String value;
    private final dev.slm.fleet.proto.v1.Task proto;

    Task(String value, dev.slm.fleet.proto.v1.Task proto) {
        this.value = value;
        this.proto = proto;
    }

    public String value() {
        return value;
    }

    public dev.slm.fleet.proto.v1.Task proto() {
        return proto;
    }
}
