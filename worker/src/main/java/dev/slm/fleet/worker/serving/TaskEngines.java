package dev.slm.fleet.worker.serving;

import dev.slm.fleet.proto.v1.Task;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.task.CausalLm;
import dev.slm.fleet.worker.task.IntentClassifier;
import dev.slm.fleet.worker.task.SentenceEmbedder;
import dev.slm.fleet.worker.task.SlotExtractor;
import java.util.List;
import java.util.Optional;

/** What one worker serves: one task, its model(s), and the engine for that task. */
public record TaskEngines(
        Task task,
        LoadedModel model,
        Optional<IntentClassifier> classifier,
        Optional<SentenceEmbedder> embedder,
        Optional<SlotExtractor> slots,
        Optional<CausalLm> generator,
        List<LoadedModel> owned)
        implements AutoCloseable {

    @Override
    public void close() {
        owned.forEach(LoadedModel::close);
    }
}
