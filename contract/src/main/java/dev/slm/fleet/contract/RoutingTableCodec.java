package dev.slm.fleet.contract;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskRoute;

/** Parses and validates routing-table JSON (fleet.slm.v1.RoutingTable, canonical proto3 JSON). */
public final class RoutingTableCodec {

    private RoutingTableCodec() {}

    public static RoutingTable parse(String json) {
        if (json == null || json.isBlank()) {
            throw new InvalidRoutingTableException("routing table is empty");
        }
        RoutingTable.Builder builder = RoutingTable.newBuilder();
        try {
            JsonFormat.parser().ignoringUnknownFields().merge(json, builder);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new InvalidRoutingTableException("routing table is not valid RoutingTable JSON: " + e.getMessage());
        }
        RoutingTable table = builder.build();
        for (TaskRoute route : table.getTasksList()) {
            if (route.getTask().isBlank()) {
                throw new InvalidRoutingTableException("a task route has no task name");
            }
            for (Endpoint endpoint : route.getEndpointsList()) {
                if (!endpoint.getAddress().matches("[^\\s:]+:\\d{1,5}")) {
                    throw new InvalidRoutingTableException("task " + route.getTask() + ": endpoint address '"
                            + endpoint.getAddress() + "' is not host:port");
                }
            }
        }
        return table;
    }

    public static String toJson(RoutingTable table) {
        try {
            return JsonFormat.printer().print(table);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    public static final class InvalidRoutingTableException extends RuntimeException {
        public InvalidRoutingTableException(String message) {
            super(message);
        }
    }
}
