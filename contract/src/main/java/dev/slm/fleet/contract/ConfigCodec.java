package dev.slm.fleet.contract;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.proto.v1.PipelineConfig;
import dev.slm.fleet.proto.v1.TaskParameters;

/** The JSON files handed to the router (PipelineConfig) and the workers (TaskParameters): canonical proto3 JSON. */
public final class ConfigCodec {
    private ConfigCodec() {}

    public static String json(MessageOrBuilder message) {
        try {
            return JsonFormat.printer().print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PipelineConfig pipeline(String json) {
        return parse(json, PipelineConfig.newBuilder(), "PipelineConfig");
    }

    public static TaskParameters taskParameters(String json) {
        return parse(json, TaskParameters.newBuilder(), "TaskParameters");
    }

    @SuppressWarnings("unchecked")
    private static <M extends Message> M parse(String json, Message.Builder builder, String what) {
        if (json == null || json.isBlank()) {
            return (M) builder.build();
        }
        try {
            JsonFormat.parser().merge(json, builder);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not valid " + what + " JSON: " + e.getMessage(), e);
        }
        return (M) builder.build();
    }
}
