package dev.slm.fleet.router.routing;

import dev.slm.fleet.proto.v1.RoutingTable;

@FunctionalInterface
public interface RoutingTableListener {
    void onTable(RoutingTable table);
}
