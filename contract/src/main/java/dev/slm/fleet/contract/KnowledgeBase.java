package dev.slm.fleet.contract;

import dev.slm.fleet.proto.v1.PipelineConfig;
import dev.slm.fleet.proto.v1.Retrieval;

/**
 * The part of PipelineConfig a running router takes from its file without a restart: the knowledge base (retrieval's
 * documents and topK, from spec.retrieval and its ConfigMap). The operator rolls the router's pods only when the rest
 * changes; the router reloads the knowledge base and rebuilds its index when only it changed.
 */
public final class KnowledgeBase {
    private KnowledgeBase() {}

    /** The pipeline with its knowledge base left out (retrieval keeps only whether it is enabled). */
    public static PipelineConfig without(PipelineConfig pipeline) {
        return pipeline.toBuilder()
                .setRetrieval(Retrieval.newBuilder()
                        .setEnabled(pipeline.getRetrieval().getEnabled()))
                .build();
    }

    /** True when {@code next} differs from {@code current} in its knowledge base only (or not at all). */
    public static boolean onlyItChanged(PipelineConfig current, PipelineConfig next) {
        return without(current).equals(without(next));
    }
}
