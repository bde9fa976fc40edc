package dev.slm.fleet.router.routing;

import dev.slm.fleet.contract.RoutingTableCodec;
import dev.slm.fleet.proto.v1.RoutingTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Reads the routing table from a file and re-reads it on change. Uses the file system's watch service and, because
 * watch events are not guaranteed on every file system, also re-checks the file's modification stamp every 250 ms,
 * so a change applies well within a second.
 */
public final class FileRoutingTableSource implements RoutingTableSource {

    private static final Logger LOG = Logger.getLogger(FileRoutingTableSource.class);
    private static final long POLL_MS = 250;

    private final Path file;
    private volatile boolean running;
    private Thread thread;
    private WatchService watchService;
    private String lastContent;

    public FileRoutingTableSource(Path file) {
        this.file = file.toAbsolutePath();
    }

    @Override
    public void start(RoutingTableListener listener) {
        running = true;
        reload(listener);
        try {
            Path dir = file.getParent();
            Files.createDirectories(dir);
            watchService = dir.getFileSystem().newWatchService();
            dir.register(
                    watchService,
                    StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            LOG.warnf("cannot watch %s (%s); polling only", file, e.getMessage());
        }
        thread = new Thread(() -> loop(listener), "routing-file-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(RoutingTableListener listener) {
        while (running) {
            try {
                if (watchService != null) {
                    WatchKey key = watchService.poll(POLL_MS, TimeUnit.MILLISECONDS);
                    if (key != null) {
                        key.pollEvents();
                        key.reset();
                    }
                } else {
                    Thread.sleep(POLL_MS);
                }
                reload(listener);
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warnf("routing file watch: %s", e.toString());
            }
        }
    }

    private synchronized void reload(RoutingTableListener listener) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            if (lastContent != null) {
                LOG.warnf("routing file %s disappeared; keeping the last good table", file);
                lastContent = null;
            }
            return;
        } catch (IOException e) {
            LOG.warnf("cannot read routing file %s: %s; keeping the last good table", file, e.getMessage());
            return;
        }
        if (content.equals(lastContent)) {
            return;
        }
        lastContent = content;
        RoutingTable table;
        try {
            table = RoutingTableCodec.parse(content);
        } catch (RoutingTableCodec.InvalidRoutingTableException e) {
            LOG.warnf("routing file %s rejected: %s; keeping the last good table", file, e.getMessage());
            return;
        }
        listener.onTable(table);
    }

    @Override
    public String describe() {
        return "file:" + file;
    }

    @Override
    public void close() {
        running = false;
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        if (thread != null) {
            thread.interrupt();
        }
    }
}
