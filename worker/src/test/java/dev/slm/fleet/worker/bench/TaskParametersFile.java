package dev.slm.fleet.worker.bench;

import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.proto.v1.IntentDef;
import dev.slm.fleet.proto.v1.TaskParameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

final class TaskParametersFile {
    private TaskParametersFile() {}

    static List<IntentDef> intents(Path file) throws IOException {
        TaskParameters.Builder b = TaskParameters.newBuilder();
        JsonFormat.parser().merge(Files.readString(file), b);
        return b.getIntentsList();
    }
}
