#!/usr/bin/env bash
# Worker benchmark (not a test): raw ONNX Runtime vs. Classify over gRPC, plus the tiny generator's TTFT.
# Usage (repo root): worker/scripts/bench-worker.sh [batching] [-Dbench.blocks=4] [-Dbench.block-seconds=1.5]
# "batching": dynamic batching on vs off vs the raw unbatched loop instead (BatchingBenchmark, ~2 min), with the
#   Unix-socket path beside TCP. "memory": worker resident memory under JVM/glibc settings and beside a plain Python
#   gRPC worker (MemoryBenchmark; -Dbench.python=/path/to/python3 with grpcio, grpcio-tools, onnxruntime, tokenizers).
# "generator": SmolLM2 (make models) Generate over gRPC, continuous batching on and off, vs a raw ONNX Runtime
#   greedy loop in-process (GeneratorBenchmark; -Dbench.blocks, -Dbench.max-tokens, -Dbench.sessions).
# The load generator's own JVM runs C1-only (BENCH_JAVA_OPTS): it shares the cores with the worker, and C2 compiling
# the client's gRPC stack for minutes took up to 2.3 ms of CPU per request from a 2-core machine. The raw ONNX Runtime
# loop it also runs is native code either way.
set -euo pipefail
cd "$(dirname "$0")/../.."
main=WorkerBenchmark
if [[ "${1:-}" == batching ]]; then
  main=BatchingBenchmark
  shift
elif [[ "${1:-}" == memory ]]; then
  main=MemoryBenchmark
  shift
elif [[ "${1:-}" == generator ]]; then
  main=GeneratorBenchmark
  shift
fi
./mvnw -B -q -pl proto,worker install -DskipTests
./mvnw -B -q -pl worker test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="$(cat worker/target/bench.classpath):worker/target/classes:worker/target/test-classes"
# The classpath goes in a manifest-only jar: with a java.class.path over ~4,000 characters the JVM dies with SIGSEGV
# as soon as ONNX Runtime's native library loads (seen 2026-12-02, ORT 1.29.0, OpenJDK 17).
python3 - "$cp" > worker/target/bench-manifest.txt <<'PY'
import pathlib, sys
uris = []
for p in sys.argv[1].split(":"):
    if p:
        path = pathlib.Path(p).resolve()
        uris.append(path.as_uri() + ("/" if path.is_dir() else ""))
line = "Class-Path: " + " ".join(uris)
print("Manifest-Version: 1.0")
print(line[:72])
for i in range(72, len(line), 71):
    print(" " + line[i:i + 71])
PY
rm -f worker/target/bench-classpath.jar
jar --create --file worker/target/bench-classpath.jar --manifest worker/target/bench-manifest.txt
exec java ${BENCH_JAVA_OPTS--XX:TieredStopAtLevel=1 -XX:+UseSerialGC} -Djava.util.logging.manager=org.jboss.logmanager.LogManager "$@" \
  -cp worker/target/bench-classpath.jar \
  "dev.slm.fleet.worker.bench.$main" worker/target/quarkus-app/quarkus-run.jar \
  worker/src/test/resources
