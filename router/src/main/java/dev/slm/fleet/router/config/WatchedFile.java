package dev.slm.fleet.router.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * A file whose content is handed on each time it changes (a mounted ConfigMap is replaced in place). Uses the file
 * system's watch service and, because watch events are not guaranteed on every file system, also re-reads the file
 * every poll interval. A missing or unreadable file keeps what was last handed on.
 */
public final class WatchedFile implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WatchedFile.class);

    private final Path file;
    private final String what;
    private final long pollMillis;
    private volatile boolean running;
    private Thread thread;
    private WatchService watchService;
    private String lastContent;

    /** {@code what} names the file in log lines ("routing file"); {@code lastContent} is what the caller already has. */
    public WatchedFile(Path file, String what, Duration poll, String lastContent) {
        this.file = file.toAbsolutePath();
        this.what = what;
        this.pollMillis = Math.max(50, poll.toMillis());
        this.lastContent = lastContent;
    }

    public Path path() {
        return file;
    }

    /** Checks the file once now, then watches it on a daemon thread; {@code onChange} gets each new content. */
    public void start(Consumer<String> onChange) {
        running = true;
        check(onChange);
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
            LOG.warnf("cannot watch %s %s (%s); polling only", what, file, e.getMessage());
        }
        thread = new Thread(() -> loop(onChange), what.replace(' ', '-') + "-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(Consumer<String> onChange) {
        while (running) {
            try {
                if (watchService != null) {
                    WatchKey key = watchService.poll(pollMillis, TimeUnit.MILLISECONDS);
                    if (key != null) {
                        key.pollEvents();
                        key.reset();
                    }
                } else {
                    Thread.sleep(pollMillis);
                }
                check(onChange);
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warnf("%s watch: %s", what, e.toString());
            }
        }
    }

    private synchronized void check(Consumer<String> onChange) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            if (lastContent != null) {
                LOG.warnf("%s %s disappeared; keeping what was last read", what, file);
                lastContent = null;
            }
            return;
        } catch (IOException e) {
            LOG.warnf("cannot read %s %s: %s; keeping what was last read", what, file, e.getMessage());
            return;
        }
        if (content.equals(lastContent)) {
            return;
        }
        lastContent = content;
        onChange.accept(content);
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
