package dev.slm.fleet.api.v1alpha1;

/** CEL rules shared by several fields, checked by the API server at admission. */
final class Validation {
    private Validation() {}

    static final String LABEL_KEY =
            "'^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'";
    static final String LABEL_KEY_MESSAGE =
            "keys must be label keys: an optional DNS subdomain prefix and '/', then a name of at most 63 characters (alphanumeric at both ends; '-', '_', '.' inside)";
    static final String LABEL_VALUE_MESSAGE = "values must be label values of at most 63 characters";

    static final String TOLERATION_OPERATOR = "self.all(t, !has(t.operator) || t.operator in ['Exists', 'Equal'])";
    static final String TOLERATION_OPERATOR_MESSAGE = "toleration operator must be Exists or Equal";
    static final String TOLERATION_EFFECT =
            "self.all(t, !has(t.effect) || t.effect in ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'])";
    static final String TOLERATION_EFFECT_MESSAGE =
            "toleration effect must be NoSchedule, PreferNoSchedule, NoExecute or empty";
}
