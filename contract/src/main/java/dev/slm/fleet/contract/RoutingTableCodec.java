package dev.slm.fleet.contract;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskRoute;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and validates routing-table JSON (fleet.slm.v1.RoutingTable, canonical proto3 JSON). */
public final class RoutingTableCodec {

    private static final Pattern ADDRESS =
            Pattern.compile("(?:([A-Za-z0-9_.-]+)|\\[([0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?)\\]):(\\d{1,5})");

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
                if (!validAddress(endpoint.getAddress())) {
                    throw new InvalidRoutingTableException("task " + route.getTask() + ": endpoint address '"
                            + endpoint.getAddress() + "' is not host:port, [ipv6]:port or unix:///absolute/path");
                }
            }
        }
        return table;
    }

    /** host:port (a name or IPv4 address) or [IPv6]:port, as {@link #address} writes it; port 1..65535. */
    public static boolean validAddress(String address) {
        if (address.startsWith(EndpointAddress.UNIX_PREFIX)) {
            try {
                return EndpointAddress.unixPath(address).isPresent();
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        Matcher m = ADDRESS.matcher(address);
        if (!m.matches()) {
            return false;
        }
        int port = Integer.parseInt(m.group(3));
        return port >= 1 && port <= 65535;
    }

    /** The endpoint address of a pod IP: IPv6 in brackets. */
    public static String address(String ip, int port) {
        return ip.contains(":") ? "[" + ip + "]:" + port : ip + ":" + port;
    }

    /** The canonical JSON of the tasks alone; its sha256 is the table's content hash. */
    public static String contentHash(java.util.List<TaskRoute> routes) {
        byte[] json = toJson(RoutingTable.newBuilder().addAllTasks(routes).build())
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            return java.util.HexFormat.of()
                    .formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(json));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
