package dev.slm.fleet.worker.serving;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Serves the tiny LM over http on 127.0.0.1, but holds the download until GET /release: the worker stays in
 * LOADING for as long as the test wants, without any test hook in the worker.
 */
public class HeldModelServer implements QuarkusTestResourceLifecycleManager {

    private HttpServer server;

    @Override
    public Map<String, String> start() {
        CountDownLatch release = new CountDownLatch(1);
        try {
            byte[] model = Files.readAllBytes(Path.of("src/test/resources/models/tiny-lm.onnx"));
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            server.createContext("/models/tiny-lm.onnx", ex -> {
                try {
                    release.await(120, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ex.sendResponseHeaders(200, model.length);
                ex.getResponseBody().write(model);
                ex.close();
            });
            server.createContext("/release", ex -> {
                release.countDown();
                ex.sendResponseHeaders(204, -1);
                ex.close();
            });
            server.start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        return Map.of(
                "slm.worker.model.uri", base + "/models/tiny-lm.onnx", "test.model-release-url", base + "/release");
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
