package dev.slm.fleet.operator;

import dev.slm.fleet.contract.ConfigMaps;
import dev.slm.fleet.contract.Ports;

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

    public static final String ROUTING_KEY = ConfigMaps.ROUTING_KEY;
    public static final String PIPELINE_KEY = ConfigMaps.PIPELINE_KEY;
    public static final String TASK_PARAMETERS_KEY = ConfigMaps.TASK_PARAMETERS_KEY;

    public static final int GRPC_PORT = Ports.GRPC;
    public static final int HTTP_PORT = Ports.HTTP;

    private Labels() {}

    public static String taskConfigMap(String worker) {
        return ConfigMaps.taskParameters(worker);
    }

    public static String routerName(String cluster) {
        return cluster + "-router";
    }

    public static String pipelineConfigMap(String cluster) {
        return ConfigMaps.pipeline(cluster);
    }

    public static String routingConfigMap(String cluster) {
        return ConfigMaps.routing(cluster);
    }
}
