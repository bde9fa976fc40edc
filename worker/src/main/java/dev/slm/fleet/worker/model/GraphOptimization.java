package dev.slm.fleet.worker.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The ONNX Runtime graph optimisation level of a model. {@code auto} measures basic, extended and all on the first
 * load of an encoder model (interleaved, median per run), keeps the fastest whose outputs equal basic's, and caches
 * the choice and the optimised graph on disk, keyed by model digest, ONNX Runtime version, execution provider and
 * level; later loads open the cached graph. An encrypted model's optimised graph is never written (it would be
 * plaintext on disk): only the choice is cached and the graph is optimised again in memory.
 */
public final class GraphOptimization {

    private static final Logger LOG = Logger.getLogger(GraphOptimization.class);

    public enum Level {
        NONE(OrtSession.SessionOptions.OptLevel.NO_OPT),
        BASIC(OrtSession.SessionOptions.OptLevel.BASIC_OPT),
        EXTENDED(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT),
        ALL(OrtSession.SessionOptions.OptLevel.ALL_OPT);

        final OrtSession.SessionOptions.OptLevel ort;

        Level(OrtSession.SessionOptions.OptLevel ort) {
            this.ort = ort;
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The levels auto measures; none is never faster than basic and basic is the reference. */
    static final List<Level> CANDIDATES = List.of(Level.BASIC, Level.EXTENDED, Level.ALL);

    /** A higher level must be at least this much faster than the best lower one to be chosen. */
    static final double MIN_GAIN = 0.03;

    /** Largest difference allowed between a level's outputs and basic's, relative to the output's scale. */
    static final double TOLERANCE = 1e-4;

    static final int ROUNDS = 5;
    static final int RUNS_PER_ROUND = 8;

    /** How the level was decided: configured, measured now, read from the cache, or auto on a graph it cannot probe. */
    public enum How {
        CONFIGURED,
        MEASURED,
        CACHED,
        NOT_MEASURABLE
    }

    /**
     * The level in use. {@code medianMillis}: per candidate measured (empty unless measured or cached), {@code
     * unequal}: candidates left out because their outputs differ from basic's; {@code graph}: the cached optimised
     * graph the session was opened from or written to.
     */
    public record Choice(
            Level level, How how, Map<Level, Double> medianMillis, Set<Level> unequal, Optional<Path> graph) {

        public static Choice configured(Level level) {
            return new Choice(level, How.CONFIGURED, Map.of(), Set.of(), Optional.empty());
        }

        public String describe() {
            StringBuilder b =
                    new StringBuilder(level.id()).append(" (").append(how.name().toLowerCase(Locale.ROOT));
            if (!medianMillis.isEmpty()) {
                b.append(':');
                medianMillis.forEach(
                        (l, ms) -> b.append(' ').append(l.id()).append(String.format(Locale.ROOT, " %.3f ms", ms)));
            }
            if (!unequal.isEmpty()) {
                b.append("; outputs differ: ")
                        .append(String.join(",", unequal.stream().map(Level::id).toList()));
            }
            graph.ifPresent(g -> b.append("; graph ").append(g));
            return b.append(')').toString();
        }
    }

    /** Opens a session on the provider being tried: from the model bytes at a level (saving the optimised graph to {@code saveTo} when given), or from a file. */
    public interface Sessions {
        OrtSession fromBytes(Level level, Optional<Path> saveTo) throws OrtException;

        OrtSession fromFile(Path file) throws OrtException;
    }

    public record Opened(OrtSession session, Choice choice) {}

    /** What the cache key is made of besides the level. */
    public record Key(String modelSha256, String ortVersion, String provider) {
        String stem() {
            return "sha256-" + modelSha256 + "-ort" + ortVersion + "-" + provider + "-"
                    + System.getProperty("os.arch", "cpu");
        }
    }

    private GraphOptimization() {}

    /** "auto" or a level; a clear error naming the property otherwise. */
    public static Optional<Level> parse(String name) throws ModelLoadException {
        String n = name == null ? "auto" : name.strip().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "auto" -> Optional.empty();
            case "none", "disabled" -> Optional.of(Level.NONE);
            case "basic" -> Optional.of(Level.BASIC);
            case "extended" -> Optional.of(Level.EXTENDED);
            case "all" -> Optional.of(Level.ALL);
            default ->
                throw new ModelLoadException(
                        "unknown slm.worker.model.optimization '" + name + "'; use auto, none, basic, extended or all");
        };
    }

    /**
     * The level to keep: the fastest of the candidates whose outputs equal basic's, a higher level only when it beats
     * the best lower one by {@link #MIN_GAIN}. Basic is always eligible (it is the reference).
     */
    static Level choose(Map<Level, Double> medianMillis, Set<Level> unequal) {
        Level best = Level.BASIC;
        double bestMs = medianMillis.getOrDefault(Level.BASIC, Double.MAX_VALUE);
        for (Level l : CANDIDATES) {
            if (l == Level.BASIC || unequal.contains(l) || !medianMillis.containsKey(l)) {
                continue;
            }
            double ms = medianMillis.get(l);
            if (ms < bestMs * (1 - MIN_GAIN)) {
                best = l;
                bestMs = ms;
            }
        }
        return best;
    }

    /** Whether two outputs agree: same shape of values, max |a - b| within the tolerance of the reference's scale. */
    static boolean equal(double[] reference, double[] other) {
        if (reference.length != other.length) {
            return false;
        }
        double scale = 1;
        for (double v : reference) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < reference.length; i++) {
            if (!(Math.abs(reference[i] - other[i]) <= TOLERANCE * scale)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Opens the model at the configured level, or for auto at the cached or measured one. {@code cacheDir} empty:
     * measure at every load, cache nothing; {@code mayWriteGraph} false (an encrypted model): cache the choice only.
     */
    public static Opened open(
            Optional<Level> configured,
            Sessions sessions,
            Key key,
            Optional<Path> cacheDir,
            boolean mayWriteGraph,
            TextTokenizer tokenizer)
            throws OrtException {
        if (configured.isPresent()) {
            return new Opened(
                    sessions.fromBytes(configured.get(), Optional.empty()), Choice.configured(configured.get()));
        }
        Optional<Opened> cached = cacheDir.flatMap(dir -> fromCache(dir, key, sessions, mayWriteGraph));
        if (cached.isPresent()) {
            return cached.get();
        }
        OrtSession basic = sessions.fromBytes(Level.BASIC, Optional.empty());
        Optional<List<Map<String, OnnxTensor>>> probes = probes(basic, tokenizer);
        if (probes.isEmpty()) {
            return new Opened(basic, new Choice(Level.BASIC, How.NOT_MEASURABLE, Map.of(), Set.of(), Optional.empty()));
        }
        Map<Level, OrtSession> open = new EnumMap<>(Level.class);
        open.put(Level.BASIC, basic);
        try {
            for (Level l : CANDIDATES) {
                if (l != Level.BASIC) {
                    open.put(l, sessions.fromBytes(l, Optional.empty()));
                }
            }
            Map<String, double[]> reference = new HashMap<>();
            for (int p = 0; p < probes.get().size(); p++) {
                reference.putAll(outputs(basic, probes.get().get(p), "p" + p));
            }
            java.util.Set<Level> unequal = java.util.EnumSet.noneOf(Level.class);
            for (Level l : open.keySet()) {
                if (l == Level.BASIC) {
                    continue;
                }
                for (int p = 0; p < probes.get().size(); p++) {
                    Map<String, double[]> got =
                            outputs(open.get(l), probes.get().get(p), "p" + p);
                    for (var e : got.entrySet()) {
                        if (!equal(reference.get(e.getKey()), e.getValue())) {
                            unequal.add(l);
                        }
                    }
                }
            }
            Map<Level, Double> medians = time(open, probes.get().get(0));
            Level chosen = choose(medians, unequal);
            Optional<Path> graph = Optional.empty();
            OrtSession serving = open.remove(chosen);
            if (cacheDir.isPresent()) {
                graph = mayWriteGraph ? writeGraph(cacheDir.get(), key, chosen, sessions) : Optional.empty();
                writeRecord(cacheDir.get(), key, chosen, medians, unequal, graph);
            }
            return new Opened(
                    serving,
                    new Choice(chosen, How.MEASURED, medians, java.util.Collections.unmodifiableSet(unequal), graph));
        } finally {
            for (OrtSession s : open.values()) {
                s.close();
            }
            probes.get().forEach(m -> m.values().forEach(OnnxTensor::close));
        }
    }

    /** Median milliseconds per run of each session, measured in interleaved rounds after a warm-up. */
    private static Map<Level, Double> time(Map<Level, OrtSession> sessions, Map<String, OnnxTensor> probe)
            throws OrtException {
        Map<Level, List<Long>> samples = new EnumMap<>(Level.class);
        for (var e : sessions.entrySet()) {
            for (int i = 0; i < 3; i++) {
                e.getValue().run(probe).close();
            }
            samples.put(e.getKey(), new ArrayList<>());
        }
        for (int r = 0; r < ROUNDS; r++) {
            for (var e : sessions.entrySet()) {
                for (int i = 0; i < RUNS_PER_ROUND; i++) {
                    long t0 = System.nanoTime();
                    e.getValue().run(probe).close();
                    samples.get(e.getKey()).add(System.nanoTime() - t0);
                }
            }
        }
        Map<Level, Double> medians = new EnumMap<>(Level.class);
        samples.forEach((l, s) -> {
            long[] sorted = s.stream().mapToLong(Long::longValue).sorted().toArray();
            medians.put(l, sorted[sorted.length / 2] / 1e6);
        });
        return medians;
    }

    /**
     * Probe inputs for an encoder graph (inputs only among input_ids, attention_mask, token_type_ids, all int64): one
     * sentence alone, and two sentences of different lengths padded into one batch. Empty for other graphs (a
     * generator's KV-cache inputs).
     */
    static Optional<List<Map<String, OnnxTensor>>> probes(OrtSession session, TextTokenizer tokenizer)
            throws OrtException {
        if (tokenizer == null) {
            return Optional.empty();
        }
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (!inputs.containsKey("input_ids")) {
            return Optional.empty();
        }
        for (var e : inputs.entrySet()) {
            if (!Set.of("input_ids", "attention_mask", "token_type_ids").contains(e.getKey())
                    || !(e.getValue().getInfo() instanceof TensorInfo t)
                    || t.type != OnnxJavaType.INT64) {
                return Optional.empty();
            }
        }
        long[] a = tokenizer
                .encodeIds("where is my order 12345, I ordered it last friday")
                .ids();
        long[] b = tokenizer.encodeIds("book a table for two tonight").ids();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<Map<String, OnnxTensor>> out = new ArrayList<>();
        out.add(batch(env, inputs.keySet(), new long[][] {a}));
        out.add(batch(env, inputs.keySet(), new long[][] {a, b}));
        return Optional.of(out);
    }

    private static Map<String, OnnxTensor> batch(OrtEnvironment env, Set<String> names, long[][] seqs)
            throws OrtException {
        int len = Arrays.stream(seqs).mapToInt(s -> s.length).max().orElse(1);
        long[][] ids = new long[seqs.length][len];
        long[][] mask = new long[seqs.length][len];
        for (int i = 0; i < seqs.length; i++) {
            System.arraycopy(seqs[i], 0, ids[i], 0, seqs[i].length);
            Arrays.fill(mask[i], 0, seqs[i].length, 1);
        }
        Map<String, OnnxTensor> m = new HashMap<>();
        m.put("input_ids", OnnxTensor.createTensor(env, ids));
        if (names.contains("attention_mask")) {
            m.put("attention_mask", OnnxTensor.createTensor(env, mask));
        }
        if (names.contains("token_type_ids")) {
            m.put("token_type_ids", OnnxTensor.createTensor(env, new long[seqs.length][len]));
        }
        return m;
    }

    /** Every numeric output flattened to doubles, named {@code prefix/output}. */
    private static Map<String, double[]> outputs(OrtSession s, Map<String, OnnxTensor> in, String prefix)
            throws OrtException {
        Map<String, double[]> out = new HashMap<>();
        try (OrtSession.Result r = s.run(in)) {
            for (var e : r) {
                OnnxValue v = e.getValue();
                if (v instanceof OnnxTensor t) {
                    out.put(prefix + "/" + e.getKey(), flatten(t));
                }
            }
        }
        return out;
    }

    private static double[] flatten(OnnxTensor t) {
        return switch (t.getInfo().type) {
            case FLOAT -> {
                var b = t.getFloatBuffer();
                double[] d = new double[b.remaining()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.get(i);
                }
                yield d;
            }
            case DOUBLE -> {
                var b = t.getDoubleBuffer();
                double[] d = new double[b.remaining()];
                b.get(d);
                yield d;
            }
            case INT64 -> {
                var b = t.getLongBuffer();
                double[] d = new double[b.remaining()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.get(i);
                }
                yield d;
            }
            case INT32 -> {
                var b = t.getIntBuffer();
                double[] d = new double[b.remaining()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.get(i);
                }
                yield d;
            }
            default -> new double[0];
        };
    }

    static Path recordFile(Path dir, Key key) {
        return dir.resolve(key.stem() + ".choice");
    }

    static Path graphFile(Path dir, Key key, Level level) {
        return dir.resolve(key.stem() + "-" + level.id() + ".onnx");
    }

    /** The cached choice, with its graph when one was written and still has its recorded digest. */
    private static Optional<Opened> fromCache(Path dir, Key key, Sessions sessions, boolean mayWriteGraph) {
        Path record = recordFile(dir, key);
        if (!Files.isRegularFile(record)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(record)) {
            p.load(in);
            Level level = Level.valueOf(p.getProperty("level", "").toUpperCase(Locale.ROOT));
            Map<Level, Double> medians = new EnumMap<>(Level.class);
            for (Level l : CANDIDATES) {
                String ms = p.getProperty("median_ms." + l.id());
                if (ms != null) {
                    medians.put(l, Double.parseDouble(ms));
                }
            }
            java.util.Set<Level> unequal = java.util.EnumSet.noneOf(Level.class);
            for (String u : p.getProperty("unequal", "").split(",")) {
                if (!u.isBlank()) {
                    unequal.add(Level.valueOf(u.strip().toUpperCase(Locale.ROOT)));
                }
            }
            String graphName = p.getProperty("graph", "");
            if (!graphName.isEmpty() && mayWriteGraph) {
                Path graph = dir.resolve(graphName);
                String want = p.getProperty("graph_sha256", "");
                if (!Files.isRegularFile(graph)
                        || !ModelSource.sha256(Files.readAllBytes(graph)).equals(want)) {
                    LOG.warnf("cached optimised graph %s is missing or not the one recorded; measuring again", graph);
                    return Optional.empty();
                }
                return Optional.of(new Opened(
                        sessions.fromFile(graph),
                        new Choice(
                                level,
                                How.CACHED,
                                medians,
                                java.util.Collections.unmodifiableSet(unequal),
                                Optional.of(graph))));
            }
            return Optional.of(new Opened(
                    sessions.fromBytes(level, Optional.empty()),
                    new Choice(
                            level,
                            How.CACHED,
                            medians,
                            java.util.Collections.unmodifiableSet(unequal),
                            Optional.empty())));
        } catch (IOException | OrtException | RuntimeException e) {
            LOG.warnf("cannot use the cached graph choice %s (%s); measuring again", record, e.getMessage());
            return Optional.empty();
        }
    }

    /** Writes the graph optimised at {@code level} into the cache (atomically); empty when it cannot. */
    private static Optional<Path> writeGraph(Path dir, Key key, Level level, Sessions sessions) {
        try {
            Files.createDirectories(dir);
            Path target = graphFile(dir, key, level);
            Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
            try {
                sessions.fromBytes(level, Optional.of(tmp)).close();
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return Optional.of(target);
        } catch (IOException | OrtException | RuntimeException e) {
            LOG.warnf("cannot cache the optimised graph in %s: %s", dir, e.getMessage());
            return Optional.empty();
        }
    }

    private static void writeRecord(
            Path dir, Key key, Level level, Map<Level, Double> medians, Set<Level> unequal, Optional<Path> graph) {
        try {
            Files.createDirectories(dir);
            Properties p = new Properties();
            p.setProperty("level", level.id());
            p.setProperty("model_sha256", key.modelSha256());
            p.setProperty("ort_version", key.ortVersion());
            p.setProperty("provider", key.provider());
            medians.forEach((l, ms) -> p.setProperty("median_ms." + l.id(), String.format(Locale.ROOT, "%.4f", ms)));
            p.setProperty(
                    "unequal", String.join(",", unequal.stream().map(Level::id).toList()));
            if (graph.isPresent()) {
                p.setProperty("graph", graph.get().getFileName().toString());
                p.setProperty("graph_sha256", ModelSource.sha256(Files.readAllBytes(graph.get())));
            }
            Path target = recordFile(dir, key);
            Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "slm-worker graph optimisation choice");
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot cache the graph optimisation choice in %s: %s", dir, e.getMessage());
        }
    }
}
