package dev.slm.fleet.operator.reconciler;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks the API server's CEL rules cannot afford (their estimated cost on unbounded map values is over budget):
 * the characters of label values and requests not above limits. Each problem names the field.
 */
public final class SpecChecks {
    private static final Pattern LABEL_VALUE = Pattern.compile("^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$");

    private SpecChecks() {}

    public static List<String> problems(SlmWorker worker, HardwareClass hardwareClass) {
        List<String> problems = new ArrayList<>();
        if (worker.getSpec().hardware != null) {
            labelValues("spec.hardware.nodeSelector", worker.getSpec().hardware.nodeSelector, problems);
            requestsWithinLimits("spec.hardware.resources", worker.getSpec().hardware.resources, problems);
        }
        if (hardwareClass != null) {
            labelValues(
                    "SlmCluster " + worker.getSpec().cluster + " spec.hardwareClasses[" + hardwareClass.name
                            + "].nodeSelector",
                    hardwareClass.nodeSelector,
                    problems);
        }
        return problems;
    }

    static void labelValues(String field, Map<String, String> selector, List<String> problems) {
        if (selector == null) return;
        selector.forEach((k, v) -> {
            if (v == null || !LABEL_VALUE.matcher(v).matches()) {
                problems.add(field + "[" + k + "]: value must be a label value (at most 63 characters,"
                        + " alphanumeric at both ends, '-', '_' or '.' inside)");
            }
        });
    }

    static void requestsWithinLimits(String field, ResourceRequirements resources, List<String> problems) {
        if (resources == null || resources.getRequests() == null || resources.getLimits() == null) return;
        resources.getRequests().forEach((name, request) -> {
            Quantity limit = resources.getLimits().get(name);
            if (limit == null) return;
            BigDecimal r;
            BigDecimal l;
            try {
                r = request.getNumericalAmount();
                l = limit.getNumericalAmount();
            } catch (IllegalArgumentException e) {
                problems.add(field + "." + name + ": not a quantity (" + e.getMessage() + ")");
                return;
            }
            if (r.compareTo(l) > 0) {
                problems.add(field + ".requests." + name + " (" + request + ") must not exceed " + field + ".limits."
                        + name + " (" + limit + ")");
            }
        });
    }
}
