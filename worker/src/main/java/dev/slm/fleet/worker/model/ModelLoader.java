package dev.slm.fleet.worker.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.slm.fleet.worker.accel.ExecutionProvider;
import dev.slm.fleet.worker.accel.ProviderChain;
import dev.slm.fleet.worker.accel.ProviderSelection;
import dev.slm.fleet.worker.accel.ProviderSelector;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/** Reads, verifies, optionally decrypts (in memory) and opens a model with its tokenizer. */
public final class ModelLoader {

    private static final Logger LOG = Logger.getLogger(ModelLoader.class);

    private ModelLoader() {}

    public static LoadedModel load(ModelSpec spec) throws ModelLoadException {
        return load(spec, ProviderChain.cpuOnly());
    }

    /** Opens the model with the first execution provider of the chain that loads (see {@link ProviderSelector}). */
    public static LoadedModel load(ModelSpec spec, ProviderChain providers) throws ModelLoadException {
        long start = System.nanoTime();
        byte[] bytes;
        try {
            bytes = ModelSource.read(spec.uri());
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot read model " + spec.uri() + ": " + e.getMessage(), e);
        }
        if (spec.keyFile().isPresent()) {
            bytes = decrypt(spec, bytes);
        } else if (ModelCrypto.isEncrypted(bytes)) {
            throw new ModelLoadException("model " + spec.uri() + " is encrypted but no key file is configured"
                    + " (slm.worker.model.key-file)");
        }
        String digest = ModelSource.sha256(bytes);
        if (spec.sha256().isPresent() && !spec.sha256().get().isBlank()) {
            String pin = ModelSource.normalisePin(spec.sha256().get());
            if (!pin.equals(digest)) {
                throw new DigestMismatchException(spec.uri(), pin, digest);
            }
        } else {
            LOG.warnf("model %s has no pinned sha256; serving unverified sha256:%s", spec.uri(), digest);
        }
        TextTokenizer tokenizer = loadTokenizer(spec);
        boolean dynamicQuantized = contains(bytes, DYNAMIC_QUANTIZE_OP);
        ProviderSelector.Selected<GraphOptimization.Opened> opened;
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            final byte[] model = bytes;
            Optional<GraphOptimization.Level> configured = GraphOptimization.parse(spec.optimization());
            opened = ProviderSelector.select(providers, availableProviders(), registered -> {
                GraphOptimization.Sessions sessions = new GraphOptimization.Sessions() {
                    @Override
                    public OrtSession fromBytes(GraphOptimization.Level level, Optional<Path> saveTo)
                            throws OrtException {
                        try (OrtSession.SessionOptions options = options(spec, providers, registered, level.ort)) {
                            if (saveTo.isPresent()) {
                                options.setOptimizedModelFilePath(saveTo.get().toString());
                            }
                            return env.createSession(model, options);
                        }
                    }

                    @Override
                    public OrtSession fromFile(Path file) throws OrtException {
                        // the cached graph is optimised already: opening it again at a level would redo the work
                        try (OrtSession.SessionOptions options =
                                options(spec, providers, registered, OrtSession.SessionOptions.OptLevel.NO_OPT)) {
                            return env.createSession(file.toString(), options);
                        }
                    }
                };
                GraphOptimization.Key key = new GraphOptimization.Key(
                        digest,
                        env.getVersion(),
                        registered.isEmpty()
                                ? ExecutionProvider.CPU.id()
                                : registered.get(0).id());
                try {
                    return GraphOptimization.open(
                            configured,
                            sessions,
                            key,
                            spec.graphCache(),
                            spec.keyFile().isEmpty(),
                            tokenizer);
                } catch (LinkageError e) {
                    // A GPU provider's shared library (or one it needs, e.g. libcudnn.so.9) did not load.
                    throw new IllegalStateException("cannot load the provider's libraries: " + e.getMessage(), e);
                } catch (OrtException | RuntimeException e) {
                    if (!registered.isEmpty()) {
                        throw e;
                    }
                    throw new ModelLoadException(
                            "ONNX Runtime cannot open model " + spec.uri() + ": " + e.getMessage(), e);
                }
            });
        } catch (ModelLoadException | RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            if (e instanceof ModelLoadException m) {
                throw m;
            }
            throw new ModelLoadException("ONNX Runtime cannot open model " + spec.uri() + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        ProviderSelection selection = opened.selection();
        selection
                .fallbackReason()
                .ifPresent(why -> LOG.warnf(
                        "model %s runs on execution provider %s, not %s: %s",
                        spec.uri(), selection.active().id(), providers.first().id(), why));
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new LoadedModel(
                ModelSource.displayName(spec.uri()),
                spec.uri(),
                digest,
                opened.value().session(),
                tokenizer,
                millis,
                dynamicQuantized,
                selection,
                opened.value().choice());
    }

    private static final byte[] DYNAMIC_QUANTIZE_OP =
            "DynamicQuantizeLinear".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The op type is stored as a plain string in the model's protobuf; ONNX Runtime's API does not list nodes. */
    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The providers compiled into the ONNX Runtime on the classpath (the CPU jar: cpu only). */
    public static Set<ExecutionProvider> availableProviders() {
        Set<ExecutionProvider> out = EnumSet.of(ExecutionProvider.CPU);
        for (OrtProvider p : OrtEnvironment.getAvailableProviders()) {
            ExecutionProvider known = ExecutionProvider.of(p);
            if (known != null) {
                out.add(known);
            }
        }
        return out;
    }

    private static OrtSession.SessionOptions options(
            ModelSpec spec,
            ProviderChain providers,
            List<ExecutionProvider> registered,
            OrtSession.SessionOptions.OptLevel level)
            throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(spec.intraOpThreads());
            options.setInterOpNumThreads(spec.interOpThreads());
            options.setOptimizationLevel(level);
            for (ExecutionProvider p : registered) {
                switch (p) {
                    case TENSORRT -> options.addTensorrt(providers.deviceId());
                    case CUDA -> options.addCUDA(providers.deviceId());
                    case CPU -> {}
                }
            }
            return options;
        } catch (OrtException | RuntimeException | LinkageError e) {
            options.close();
            throw e;
        }
    }

    private static byte[] decrypt(ModelSpec spec, byte[] bytes) throws ModelLoadException {
        try {
            byte[] key = ModelCrypto.readKey(Path.of(spec.keyFile().get()));
            try {
                return ModelCrypto.decrypt(bytes, key);
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        } catch (IOException e) {
            throw new ModelLoadException("cannot read model key: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new ModelLoadException(
                    "cannot decrypt model " + spec.uri() + " with key file "
                            + spec.keyFile().get() + " (wrong key or corrupted file): " + e.getMessage(),
                    e);
        }
    }

    private static TextTokenizer loadTokenizer(ModelSpec spec) throws ModelLoadException {
        String uri = spec.tokenizerUri()
                .filter(s -> !s.isBlank())
                .or(() -> ModelSource.defaultTokenizerUri(spec.uri()))
                .orElseThrow(() -> new ModelLoadException("no tokenizer for model " + spec.uri()
                        + ": set slm.worker.model.tokenizer-uri or put tokenizer.json beside the model"));
        try {
            return TextTokenizer.fromJson(ModelSource.read(uri));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot load tokenizer " + uri + ": " + e.getMessage(), e);
        }
    }
}
