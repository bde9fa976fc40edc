package dev.slm.fleet.router.routing;

/**
 * Where the routing table comes from: a watched file (local mode) or a watched ConfigMap (in a cluster).
 * A source only reports tables that parsed; a broken update is logged and the last good table stays.
 */
public interface RoutingTableSource extends AutoCloseable {

    void start(RoutingTableListener listener);

    /** Human-readable origin for logs and the admin endpoint. */
    String describe();

    @Override
    void close();
}
