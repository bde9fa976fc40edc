package dev.slm.fleet.worker.model;

import java.util.Optional;

/** Where a model comes from and how to trust it. */
public record ModelSpec(
        String uri,
        Optional<String> sha256,
        Optional<String> tokenizerUri,
        Optional<String> keyFile,
        int intraOpThreads,
        int interOpThreads,
        String optimization) {

    public static ModelSpec of(String uri) {
        return new ModelSpec(uri, Optional.empty(), Optional.empty(), Optional.empty(), 1, 1, "basic");
    }

    public ModelSpec withSha256(String pin) {
        return new ModelSpec(
                uri, Optional.of(pin), tokenizerUri, keyFile, intraOpThreads, interOpThreads, optimization);
    }

    public ModelSpec withTokenizer(String tokenizer) {
        return new ModelSpec(
                uri, sha256, Optional.of(tokenizer), keyFile, intraOpThreads, interOpThreads, optimization);
    }

    public ModelSpec withOptimization(String level) {
        return new ModelSpec(uri, sha256, tokenizerUri, keyFile, intraOpThreads, interOpThreads, level);
    }

    public ModelSpec withKeyFile(String key) {
        return new ModelSpec(uri, sha256, tokenizerUri, Optional.of(key), intraOpThreads, interOpThreads, optimization);
    }
}
