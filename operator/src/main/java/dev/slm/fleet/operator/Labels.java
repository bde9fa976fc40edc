package dev.slm.fleet.operator;

/** Label, annotation and naming conventions shared by the reconcilers, the routing table and the tests. */
public final class Labels {
    public static final String PREFIX = "fleet.slm.dev/";
    public static final String CLUSTER = PREFIX + "cluster";
    public static final String TASK = PREFIX + "task";
    public static final String WORKER = PREFIX + "worker";
    public static final String HARDWARE_CLASS = PREFIX + "hardware-class";
    public static final String COMPONENT = "app.kubernetes.io/component";
    public static final String NAME = "app.kubernetes.io/name";
    public static final String INSTANCE = "app.kubernetes.io/instance";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGER = "slm-fleet-operator";
    public static final String MANAGED_SELECTOR = MANAGED_BY + "=" + MANAGER;

    public static final String MODEL_SHA256 = PREFIX + "model-sha256";
    public static final String CONFIG_HASH = PREFIX + "config-hash";

    public static final String ROUTING_KEY = "routing-table.json";
    public static final String PIPELINE_KEY = "pipeline.json";
    public static final String TASK_PARAMETERS_KEY = "task-parameters.json";

    public static final int GRPC_PORT = 9000;
    public static final int HTTP_PORT = 8080;

    private Labels() {}

    public static String taskConfigMap(String worker) {
        return worker + "-task";
    }

    public static String routerName(String cluster) {
        return cluster + "-router";
    }

    public static String pipelineConfigMap(String cluster) {
        return cluster + "-pipeline";
    }

    public static String routingConfigMap(String cluster) {
        return cluster + "-routing";
    }
}
