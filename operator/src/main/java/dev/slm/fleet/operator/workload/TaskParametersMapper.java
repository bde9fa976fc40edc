package dev.slm.fleet.operator.workload;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.api.v1alpha1.BatchingSpec;
import dev.slm.fleet.api.v1alpha1.IntentSpec;
import dev.slm.fleet.api.v1alpha1.RuntimeSpec;
import dev.slm.fleet.api.v1alpha1.SamplingSpec;
import dev.slm.fleet.api.v1alpha1.TaskParametersSpec;
import dev.slm.fleet.proto.v1.Batching;
import dev.slm.fleet.proto.v1.IntentDef;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.proto.v1.TaskParameters;
import java.io.UncheckedIOException;

/** SlmWorker.spec.model.parameters as the fleet.slm.v1.TaskParameters JSON file the worker reads. */
public final class TaskParametersMapper {
    private TaskParametersMapper() {}

    public static TaskParameters toProto(TaskParametersSpec spec) {
        TaskParameters.Builder b = TaskParameters.newBuilder();
        if (spec == null) return b.build();
        if (spec.intents != null) {
            for (IntentSpec i : spec.intents) {
                IntentDef.Builder d = IntentDef.newBuilder().setName(i.name);
                if (i.examples != null) d.addAllExamples(i.examples);
                if (i.fallbackTemplate != null) d.setFallbackTemplate(i.fallbackTemplate);
                b.addIntents(d);
            }
        }
        if (spec.labels != null) b.addAllLabels(spec.labels);
        if (spec.minConfidence != null) b.setMinConfidence(spec.minConfidence.floatValue());
        if (spec.bioLabels != null) b.addAllBioLabels(spec.bioLabels);
        if (spec.builtinExtractors != null) b.addAllBuiltinExtractors(spec.builtinExtractors);
        if (spec.defaultSampling != null) b.setDefaultSampling(sampling(spec.defaultSampling));
        if (spec.kvCacheSessions != null) b.setKvCacheSessions(spec.kvCacheSessions);
        if (spec.kvCacheMaxMib != null) b.setKvCacheMaxMib(spec.kvCacheMaxMib);
        if (spec.promptTemplate != null) b.setPromptTemplate(spec.promptTemplate);
        return b.build();
    }

    /** The parameters plus the worker-side settings of spec.runtime that travel in the same file. */
    public static TaskParameters toProto(TaskParametersSpec spec, RuntimeSpec runtime) {
        TaskParameters p = toProto(spec);
        if (runtime == null || runtime.batching == null) return p;
        BatchingSpec s = runtime.batching;
        Batching.Builder b = Batching.newBuilder();
        if (s.enabled != null) b.setEnabled(s.enabled);
        if (s.maxBatchSize != null) b.setMaxBatchSize(s.maxBatchSize);
        if (s.maxWaitMicros != null) b.setMaxWaitMicros(s.maxWaitMicros);
        return p.toBuilder().setBatching(b).build();
    }

    private static SamplingParams sampling(SamplingSpec s) {
        SamplingParams.Builder b = SamplingParams.newBuilder();
        if (s.maxTokens != null) b.setMaxTokens(s.maxTokens);
        if (s.temperature != null) b.setTemperature(s.temperature.floatValue());
        if (s.topK != null) b.setTopK(s.topK);
        if (s.topP != null) b.setTopP(s.topP.floatValue());
        if (s.stop != null) b.addAllStop(s.stop);
        if (s.seed != null) b.setSeed(s.seed);
        return b.build();
    }

    public static String json(com.google.protobuf.MessageOrBuilder message) {
        try {
            return JsonFormat.printer().print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(e);
        }
    }
}
