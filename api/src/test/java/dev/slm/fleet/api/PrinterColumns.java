package dev.slm.fleet.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fabric8 crd-generator sorts printer columns by JSON path (so AGE, {@code .metadata.creationTimestamp}, came
 * second, unlike kubectl's own kinds); this puts them back in the order the class declares its
 * {@link AdditionalPrinterColumn}s. It works on the generator's fixed YAML layout and refuses any other.
 */
final class PrinterColumns {
    private static final String START = "  - additionalPrinterColumns:";
    private static final String ENTRY = "    - jsonPath: ";
    private static final String CONTINUATION = "      ";

    private PrinterColumns() {}

    static String inDeclaredOrder(String crd, Class<?> kind) {
        List<String> declared = Arrays.stream(kind.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name)
                .toList();
        List<String> lines = crd.lines().toList();
        int start = lines.indexOf(START);
        if (start < 0) throw new IllegalArgumentException("no additionalPrinterColumns in the CRD of " + kind);
        Map<String, List<String>> byName = new LinkedHashMap<>();
        int i = start + 1;
        while (i < lines.size() && lines.get(i).startsWith(ENTRY)) {
            List<String> entry = new ArrayList<>(List.of(lines.get(i++)));
            while (i < lines.size() && lines.get(i).startsWith(CONTINUATION)) entry.add(lines.get(i++));
            String name = entry.stream()
                    .filter(l -> l.startsWith(CONTINUATION + "name: \""))
                    .map(l -> l.substring((CONTINUATION + "name: \"").length(), l.length() - 1))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("a printer column without a name: " + entry));
            byName.put(name, entry);
        }
        if (!byName.keySet().equals(new java.util.HashSet<>(declared))) {
            throw new IllegalArgumentException(
                    "printer columns " + byName.keySet() + " in the CRD, " + declared + " declared by " + kind);
        }
        List<String> out = new ArrayList<>(lines.subList(0, start + 1));
        declared.forEach(name -> out.addAll(byName.get(name)));
        out.addAll(lines.subList(i, lines.size()));
        return String.join("\n", out) + (crd.endsWith("\n") ? "\n" : "");
    }
}
