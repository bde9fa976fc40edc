package dev.slm.fleet.worker.model;

import java.nio.file.Path;
import java.util.Optional;

/** Where a model comes from and how to trust it. */
public record ModelSpec(
        String uri,
        Optional<String> sha256,
        Optional<String> tokenizerUri,
        Optional<String> keyFile,
        int intraOpThreads,
        int interOpThreads,
        String optimization,
        Optional<Path> graphCache) {

    /** basic optimisation, no graph cache: what the unit tests load. */
    public static ModelSpec of(String uri) {
        return new ModelSpec(
                uri, Optional.empty(), Optional.empty(), Optional.empty(), 1, 1, "basic", Optional.empty());
    }

    public ModelSpec withSha256(String pin) {
        return new ModelSpec(
                uri, Optional.of(pin), tokenizerUri, keyFile, intraOpThreads, interOpThreads, optimization, graphCache);
    }

    public ModelSpec withTokenizer(String tokenizer) {
        return new ModelSpec(
                uri, sha256, Optional.of(tokenizer), keyFile, intraOpThreads, interOpThreads, optimization, graphCache);
    }

    public ModelSpec withOptimization(String level) {
        return new ModelSpec(uri, sha256, tokenizerUri, keyFile, intraOpThreads, interOpThreads, level, graphCache);
    }

    public ModelSpec withKeyFile(String key) {
        return new ModelSpec(
                uri, sha256, tokenizerUri, Optional.of(key), intraOpThreads, interOpThreads, optimization, graphCache);
    }

    /** Where auto keeps its choices and optimised graphs; empty: measure at every load, write nothing. */
    public ModelSpec withGraphCache(Path dir) {
        return new ModelSpec(
                uri, sha256, tokenizerUri, keyFile, intraOpThreads, interOpThreads, optimization, Optional.of(dir));
    }
}
