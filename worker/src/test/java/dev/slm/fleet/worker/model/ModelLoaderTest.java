package dev.slm.fleet.worker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.worker.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {

    @Test
    void builtinMiniLmLoadsAndMatchesItsPinnedDigest() throws Exception {
        LoadedModel m = TestModels.minilm();
        assertEquals(TestModels.MINILM_SHA256, m.sha256());
        assertTrue(m.inputNames().contains("input_ids"));
        assertEquals("all-minilm-l6-v2-q", m.name());
    }

    @Test
    void digestMismatchRefusesToLoadAndNamesBothDigests() {
        String wrong = "sha256:" + "0".repeat(64);
        DigestMismatchException e = assertThrows(
                DigestMismatchException.class,
                () -> ModelLoader.load(ModelSpec.of(TestModels.TINY_LM)
                        .withTokenizer(TestModels.TINY_LM_TOKENIZER)
                        .withSha256(wrong)));
        assertTrue(e.getMessage().contains("0".repeat(64)), e.getMessage());
        assertTrue(e.getMessage().contains("refusing to serve"), e.getMessage());
    }

    @Test
    void pinIsAcceptedWithOrWithoutPrefixAndInUpperCase() throws Exception {
        String digest = ModelSource.sha256(Files.readAllBytes(Path.of(TestModels.TINY_LM)));
        try (LoadedModel m = ModelLoader.load(ModelSpec.of(TestModels.TINY_LM)
                .withTokenizer(TestModels.TINY_LM_TOKENIZER)
                .withSha256("SHA256:" + digest.toUpperCase()))) {
            assertEquals(digest, m.sha256());
        }
    }

    @Test
    void encryptedModelIsDecryptedInMemoryWithTheKeyFile(@TempDir Path dir) throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        byte[] plain = Files.readAllBytes(Path.of(TestModels.TINY_LM));
        Path encrypted = dir.resolve("tiny-lm.onnx.enc");
        Files.write(encrypted, ModelCrypto.encrypt(plain, key));
        Path keyFile = dir.resolve("model.key");
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(key) + "\n");
        String digest = ModelSource.sha256(plain);

        try (LoadedModel m = ModelLoader.load(ModelSpec.of(encrypted.toString())
                .withTokenizer(TestModels.TINY_LM_TOKENIZER)
                .withKeyFile(keyFile.toString())
                .withSha256(digest))) {
            assertEquals(digest, m.sha256(), "the pin is the plaintext model's digest");
            assertTrue(m.inputNames().contains("past_key_values.0.key"));
        }
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no decrypted copy is written to disk");
        }
    }

    @Test
    void wrongKeyOrMissingKeyIsAClearLoadError(@TempDir Path dir) throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Path encrypted = dir.resolve("m.enc");
        Files.write(encrypted, ModelCrypto.encrypt(Files.readAllBytes(Path.of(TestModels.TINY_LM)), key));
        Path wrongKey = dir.resolve("wrong.key");
        Files.write(wrongKey, new byte[32]);

        ModelLoadException wrong = assertThrows(
                ModelLoadException.class,
                () -> ModelLoader.load(ModelSpec.of(encrypted.toString())
                        .withTokenizer(TestModels.TINY_LM_TOKENIZER)
                        .withKeyFile(wrongKey.toString())));
        assertTrue(wrong.getMessage().contains("wrong key"), wrong.getMessage());
        ModelLoadException missing = assertThrows(
                ModelLoadException.class,
                () -> ModelLoader.load(ModelSpec.of(encrypted.toString()).withTokenizer(TestModels.TINY_LM_TOKENIZER)));
        assertTrue(missing.getMessage().contains("slm.worker.model.key-file"), missing.getMessage());
    }

    @Test
    void missingFileAndUnknownBuiltinAreReportedByName() {
        ModelLoadException e =
                assertThrows(ModelLoadException.class, () -> ModelLoader.load(ModelSpec.of("/nonexistent/m.onnx")));
        assertTrue(e.getMessage().contains("/nonexistent/m.onnx"), e.getMessage());
        ModelLoadException b =
                assertThrows(ModelLoadException.class, () -> ModelLoader.load(ModelSpec.of("builtin:nope")));
        assertTrue(b.getMessage().contains("unknown builtin"), b.getMessage());
    }

    @Test
    void httpUrisAreFetchedAndVerified() throws Exception {
        byte[] body = Files.readAllBytes(Path.of(TestModels.TINY_LM));
        com.sun.net.httpserver.HttpServer server =
                com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/models/tiny-lm.onnx", ex -> {
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            String uri = "http://127.0.0.1:" + server.getAddress().getPort() + "/models/tiny-lm.onnx";
            try (LoadedModel m = ModelLoader.load(ModelSpec.of(uri)
                    .withTokenizer(TestModels.TINY_LM_TOKENIZER)
                    .withSha256(ModelSource.sha256(body)))) {
                assertEquals("tiny-lm", m.name());
            }
            ModelLoadException notFound = assertThrows(
                    ModelLoadException.class,
                    () -> ModelLoader.load(ModelSpec.of(uri.replace("/models/", "/elsewhere/"))
                            .withTokenizer(TestModels.TINY_LM_TOKENIZER)));
            assertTrue(notFound.getMessage().contains("HTTP 404"), notFound.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void fileUrisAreAccepted() throws Exception {
        String uri = Path.of(TestModels.TINY_LM).toAbsolutePath().toUri().toString();
        try (LoadedModel m = ModelLoader.load(ModelSpec.of(uri).withTokenizer(TestModels.TINY_LM_TOKENIZER))) {
            assertEquals("tiny-lm", m.name());
        }
        assertFalse(ModelCrypto.isEncrypted(new byte[] {1, 2, 3}));
    }
}
