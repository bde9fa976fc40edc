package dev.slm.fleet.router.routing;

import dev.slm.fleet.contract.RoutingTableCodec;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.router.config.WatchedFile;
import java.nio.file.Path;
import java.time.Duration;
import org.jboss.logging.Logger;

/** Reads the routing table from a file and re-reads it on change (watch service plus a 250-ms re-check). */
public final class FileRoutingTableSource implements RoutingTableSource {

    private static final Logger LOG = Logger.getLogger(FileRoutingTableSource.class);
    private static final Duration POLL = Duration.ofMillis(250);

    private final WatchedFile file;

    public FileRoutingTableSource(Path file) {
        this.file = new WatchedFile(file, "routing file", POLL, null);
    }

    @Override
    public void start(RoutingTableListener listener) {
        file.start(content -> {
            RoutingTable table;
            try {
                table = RoutingTableCodec.parse(content);
            } catch (RoutingTableCodec.InvalidRoutingTableException e) {
                LOG.warnf("routing file %s rejected: %s; keeping the last good table", file.path(), e.getMessage());
                return;
            }
            listener.onTable(table);
        });
    }

    @Override
    public String describe() {
        return "file:" + file.path();
    }

    @Override
    public void close() {
        file.close();
    }
}
