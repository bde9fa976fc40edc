package dev.slm.fleet.worker.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.slm.fleet.worker.accel.ProviderSelection;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX Runtime session with its tokenizer and the execution provider it runs on; thread-safe for concurrent run()
 * calls. {@code dynamicQuantized}: the graph quantises activations at run time over the whole input tensor (DynamicQuantizeLinear), so a sequence's
 * outputs depend on what else is in its batch.
 */
public record LoadedModel(
        String name,
        String uri,
        String sha256,
        OrtSession session,
        TextTokenizer tokenizer,
        long loadMillis,
        boolean dynamicQuantized,
        ProviderSelection provider,
        GraphOptimization.Choice optimization)
        implements AutoCloseable {

    public LoadedModel(
            String name, String uri, String sha256, OrtSession session, TextTokenizer tokenizer, long loadMillis) {
        this(
                name,
                uri,
                sha256,
                session,
                tokenizer,
                loadMillis,
                false,
                ProviderSelection.cpu(),
                GraphOptimization.Choice.configured(GraphOptimization.Level.BASIC));
    }

    public Set<String> inputNames() {
        return session.getInputNames();
    }

    public Map<String, NodeInfo> outputs() {
        try {
            return session.getOutputInfo();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException ignored) {
            // closing at shutdown; nothing to do with a failure here
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
