package dev.slm.fleet.contract;

/** ConfigMap names and keys the operator writes and the router and workers read. */
public final class ConfigMaps {
    public static final String ROUTING_KEY = "routing-table.json";
    public static final String PIPELINE_KEY = "pipeline.json";
    public static final String TASK_PARAMETERS_KEY = "task-parameters.json";

    private ConfigMaps() {}

    public static String taskParameters(String worker) {
        return worker + "-task";
    }

    public static String pipeline(String cluster) {
        return cluster + "-pipeline";
    }

    public static String routing(String cluster) {
        return cluster + "-routing";
    }
}
