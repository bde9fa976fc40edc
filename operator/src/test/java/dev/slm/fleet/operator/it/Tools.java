package dev.slm.fleet.operator.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The pinned command-line tools of e2e/build-binaries (helm, kubeconform, kube-score), run as the CI would. */
final class Tools {
    private Tools() {}

    private static Path binDir;

    /** What a tool printed (stdout and stderr together) and its exit status. */
    record Result(int exitCode, String output) {}

    static synchronized Path bin(String tool) {
        if (binDir == null) {
            Result dir = exec(List.of("../e2e/build-binaries", "--print-bin-dir"));
            if (dir.exitCode() != 0) throw new IllegalStateException("e2e/build-binaries failed: " + dir.output());
            binDir = Path.of(dir.output().trim());
        }
        return binDir.resolve(tool);
    }

    static Result run(String tool, List<String> args) {
        List<String> command = new ArrayList<>(List.of(bin(tool).toString()));
        command.addAll(args);
        return exec(command);
    }

    /** helm with these arguments; fails the test, with helm's output, when helm fails. */
    static String helm(String... args) {
        Result r = run("helm", List.of(args));
        if (r.exitCode() != 0) throw new AssertionError("helm " + String.join(" ", args) + " failed: " + r.output());
        return r.output();
    }

    private static Result exec(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.waitFor(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
