package dev.slm.fleet.operator.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * kubeconform's schemas, written from the API server's own OpenAPI v2 document (no registry or schema repository is
 * reachable here, and this way the schemas are exactly those of the cluster under test, our CRDs included). One
 * self-contained JSON Schema per kind, named as kubeconform's {@code {{ .ResourceKind }}{{ .KindSuffix }}.json}
 * template expects, transformed the way kubeconform's own openapi2jsonschema does: {@code int-or-string} and
 * quantities accept strings and numbers, and objects with declared properties refuse unknown ones (strict).
 */
final class KubeconformSchemas {
    static final String LOCATION_TEMPLATE = "{{ .ResourceKind }}{{ .KindSuffix }}.json";
    private static final String REF = "#/definitions/";
    private static final Set<String> STRING_OR_NUMBER =
            Set.of("io.k8s.apimachinery.pkg.util.intstr.IntOrString", "io.k8s.apimachinery.pkg.api.resource.Quantity");

    private KubeconformSchemas() {}

    /** Writes the schemas of {@code kinds} (apiVersion → kinds) into {@code dir}; returns kubeconform's location. */
    static String write(String openApiV2, Map<String, Set<String>> kinds, Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode definitions = json.readTree(openApiV2).path("definitions");
        Files.createDirectories(dir);
        for (Iterator<Map.Entry<String, JsonNode>> it = definitions.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> def = it.next();
            for (JsonNode gvk : def.getValue().path("x-kubernetes-group-version-kind")) {
                String group = gvk.path("group").asText();
                String apiVersion = (group.isEmpty() ? "" : group + "/")
                        + gvk.path("version").asText();
                String kind = gvk.path("kind").asText();
                if (!kinds.getOrDefault(apiVersion, Set.of()).contains(kind)) continue;
                ObjectNode schema = json.createObjectNode();
                schema.put("$ref", "#/$defs/" + def.getKey());
                ObjectNode defs = schema.putObject("$defs");
                for (String name : closure(definitions, def.getKey())) {
                    defs.set(name, transform(json, definitions.get(name), STRING_OR_NUMBER.contains(name)));
                }
                Files.writeString(dir.resolve(fileName(apiVersion, kind)), json.writeValueAsString(schema));
            }
        }
        return dir.toAbsolutePath().resolve(LOCATION_TEMPLATE).toString();
    }

    /** kubeconform's file name for a kind: {@code deployment-apps-v1.json}, {@code service-v1.json}. */
    static String fileName(String apiVersion, String kind) {
        String[] groupAndVersion = apiVersion.split("/");
        String suffix = "-" + groupAndVersion[0].split("\\.")[0].toLowerCase(Locale.ROOT);
        if (groupAndVersion.length > 1) suffix += "-" + groupAndVersion[1].toLowerCase(Locale.ROOT);
        return kind.toLowerCase(Locale.ROOT) + suffix + ".json";
    }

    private static Set<String> closure(JsonNode definitions, String root) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(Set.of(root));
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (seen.add(name)) collectRefs(definitions.get(name), todo);
        }
        return seen;
    }

    private static void collectRefs(JsonNode node, Deque<String> into) {
        if (node == null) return;
        if (node.has("$ref") && node.get("$ref").asText().startsWith(REF)) {
            into.push(node.get("$ref").asText().substring(REF.length()));
        }
        node.elements().forEachRemaining(child -> collectRefs(child, into));
    }

    private static JsonNode transform(ObjectMapper json, JsonNode node, boolean stringOrNumber) {
        if (stringOrNumber || isIntOrString(node)) {
            ObjectNode either = json.createObjectNode();
            ArrayNode oneOf = either.putArray("oneOf");
            oneOf.addObject().put("type", "string");
            oneOf.addObject().put("type", stringOrNumber && !isIntOrString(node) ? "number" : "integer");
            return either;
        }
        if (node.isArray()) {
            ArrayNode copy = json.createArrayNode();
            node.forEach(e -> copy.add(transform(json, e, false)));
            return copy;
        }
        if (!node.isObject()) return node;
        ObjectNode copy = json.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            if (field.getKey().equals("$ref") && value.asText().startsWith(REF)) {
                copy.put("$ref", "#/$defs/" + value.asText().substring(REF.length()));
            } else if (field.getKey().equals("properties") && value.isObject()) {
                // property names are not schema keywords: transform each property's schema, keep the name
                ObjectNode properties = copy.putObject("properties");
                value.fields().forEachRemaining(p -> properties.set(p.getKey(), transform(json, p.getValue(), false)));
            } else {
                copy.set(field.getKey(), transform(json, value, false));
            }
        }
        if (copy.has("properties")
                && !copy.has("additionalProperties")
                && !copy.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
            copy.put("additionalProperties", false);
        }
        return copy;
    }

    private static boolean isIntOrString(JsonNode node) {
        return node.isObject()
                && ("int-or-string".equals(node.path("format").asText())
                        || node.path("x-kubernetes-int-or-string").asBoolean());
    }
}
