package dev.slm.fleet.operator.workload;

import dev.slm.fleet.api.v1alpha1.RuntimeSpec;
import dev.slm.fleet.api.v1alpha1.TaskParametersSpec;
import dev.slm.fleet.contract.ConfigCodec;
import dev.slm.fleet.contract.FleetCompiler;
import dev.slm.fleet.proto.v1.TaskParameters;

/** SlmWorker.spec.model.parameters as the TaskParameters JSON file the worker reads; compiled by the contract. */
public final class TaskParametersMapper {
    private TaskParametersMapper() {}

    public static TaskParameters toProto(TaskParametersSpec spec) {
        return FleetCompiler.taskParameters(spec, null);
    }

    /** The parameters plus the worker-side settings of spec.runtime that travel in the same file. */
    public static TaskParameters toProto(TaskParametersSpec spec, RuntimeSpec runtime) {
        return FleetCompiler.taskParameters(spec, runtime);
    }

    public static String json(com.google.protobuf.MessageOrBuilder message) {
        return ConfigCodec.json(message);
    }
}
