package dev.slm.fleet.contract;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects of one YAML file as a cluster would get them with kubectl apply: one SlmCluster, its SlmWorkers and
 * any ConfigMaps (a knowledge base). Unknown fields are refused, naming the field, as the CRD schema would.
 */
public record FleetManifest(SlmCluster cluster, List<SlmWorker> workers, Map<String, ConfigMap> configMaps) {

    private static final ObjectMapper STRICT =
            new ObjectMapper().findAndRegisterModules().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public static FleetManifest parse(String yaml) {
        SlmCluster cluster = null;
        List<SlmWorker> workers = new ArrayList<>();
        Map<String, ConfigMap> configMaps = new LinkedHashMap<>();
        try (MappingIterator<JsonNode> docs =
                new YAMLMapper().readerFor(JsonNode.class).readValues(yaml)) {
            int index = 0;
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                index++;
                if (doc == null || doc.isNull() || doc.isMissingNode() || doc.isEmpty()) continue;
                String kind = doc.path("kind").asText();
                String where = "document " + index + " (" + kind + " "
                        + doc.path("metadata").path("name").asText() + ")";
                switch (kind) {
                    case "SlmCluster" -> {
                        if (cluster != null) {
                            throw new IllegalArgumentException(where + ": a file holds one SlmCluster");
                        }
                        cluster = convert(doc, SlmCluster.class, where);
                    }
                    case "SlmWorker" -> workers.add(convert(doc, SlmWorker.class, where));
                    case "ConfigMap" -> {
                        ConfigMap cm = new ObjectMapper().convertValue(doc, ConfigMap.class);
                        configMaps.put(cm.getMetadata().getName(), cm);
                    }
                    default ->
                        throw new IllegalArgumentException(where + ": kind must be SlmCluster, SlmWorker or ConfigMap");
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid YAML: " + e.getMessage(), e);
        }
        if (cluster == null) {
            throw new IllegalArgumentException("the file holds no SlmCluster");
        }
        String name = cluster.getMetadata().getName();
        for (SlmWorker w : workers) {
            if (w.getSpec() == null || !name.equals(w.getSpec().cluster)) {
                throw new IllegalArgumentException(
                        "SlmWorker " + w.getMetadata().getName() + ": spec.cluster must be " + name);
            }
        }
        return new FleetManifest(cluster, List.copyOf(workers), Map.copyOf(configMaps));
    }

    private static <T> T convert(JsonNode doc, Class<T> type, String where) {
        try {
            return STRICT.treeToValue(doc, type);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    where + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** The knowledge-base entries named by spec.retrieval.configMapName, or none. */
    public Map<String, String> knowledgeBase() {
        var retrieval = cluster.getSpec() == null ? null : cluster.getSpec().retrieval;
        if (retrieval == null || retrieval.configMapName == null) return Map.of();
        ConfigMap cm = configMaps.get(retrieval.configMapName);
        if (cm == null || cm.getData() == null) {
            throw new IllegalArgumentException(
                    "spec.retrieval.configMapName " + retrieval.configMapName + " is not in the file");
        }
        return cm.getData();
    }

    public dev.slm.fleet.proto.v1.PipelineConfig pipeline() {
        return FleetCompiler.pipeline(cluster, workers, knowledgeBase());
    }
}
