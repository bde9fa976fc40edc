package dev.slm.fleet.worker.model;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Reads model and tokenizer bytes from a path, a file:/http(s): URI or a builtin resource. */
public final class ModelSource {

    public static final String BUILTIN_MINILM = "builtin:all-minilm-l6-v2-q";

    /** Builtin models: name -> (model resource, tokenizer resource) on the classpath. */
    private static final Map<String, String[]> BUILTINS =
            Map.of(BUILTIN_MINILM, new String[] {"all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json"});

    private ModelSource() {}

    public static byte[] read(String uri) throws IOException {
        String[] builtin = BUILTINS.get(uri);
        if (builtin != null) {
            return readResource(builtin[0]);
        }
        if (uri.startsWith("builtin:")) {
            throw new IOException("unknown builtin model '" + uri + "'; known: " + BUILTINS.keySet());
        }
        if (uri.startsWith("classpath:")) {
            return readResource(uri.substring("classpath:".length()));
        }
        if (uri.startsWith("http://") || uri.startsWith("https://")) {
            return fetch(URI.create(uri));
        }
        Path path = uri.startsWith("file:") ? Path.of(URI.create(uri)) : Path.of(uri);
        if (!Files.isRegularFile(path)) {
            throw new IOException("model file not found: " + path.toAbsolutePath());
        }
        return Files.readAllBytes(path);
    }

    /** The tokenizer that goes with a model when none is configured. */
    public static Optional<String> defaultTokenizerUri(String modelUri) {
        String[] builtin = BUILTINS.get(modelUri);
        if (builtin != null) {
            return Optional.of("classpath:" + builtin[1]);
        }
        return sibling(modelUri, "tokenizer.json");
    }

    /**
     * The file {@code name} in the model's directory: for a local model only when it exists, for an http(s) or
     * classpath model its URI (reading it tells); none for a builtin model.
     */
    public static Optional<String> sibling(String modelUri, String name) {
        if (modelUri.startsWith("builtin:")) {
            return Optional.empty();
        }
        if (modelUri.startsWith("http") || modelUri.startsWith("classpath:")) {
            int slash = modelUri.lastIndexOf('/');
            return slash < 0 ? Optional.empty() : Optional.of(modelUri.substring(0, slash + 1) + name);
        }
        Path path = modelUri.startsWith("file:") ? Path.of(URI.create(modelUri)) : Path.of(modelUri);
        Path sibling = path.resolveSibling(name);
        return Files.isRegularFile(sibling) ? Optional.of(sibling.toString()) : Optional.empty();
    }

    public static String displayName(String uri) {
        if (uri.startsWith("builtin:")) {
            return uri.substring("builtin:".length());
        }
        String last = uri.substring(uri.lastIndexOf('/') + 1);
        return last.toLowerCase(Locale.ROOT).endsWith(".onnx") ? last.substring(0, last.length() - 5) : last;
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Normalises a pin: "sha256:ABC..." and "abc..." are the same digest. */
    public static String normalisePin(String pin) {
        String p = pin.trim().toLowerCase(Locale.ROOT);
        return p.startsWith("sha256:") ? p.substring(7) : p;
    }

    private static byte[] readResource(String name) throws IOException {
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("classpath resource not found: " + name);
            }
            return in.readAllBytes();
        }
    }

    private static byte[] fetch(URI uri) throws IOException {
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
        try {
            HttpResponse<byte[]> response = client.send(
                    HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IOException("GET " + uri + " answered HTTP " + response.statusCode());
            }
            return response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + uri, e);
        }
    }
}
