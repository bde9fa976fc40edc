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
exec java ${BENCH_JAVA_OPTS--XX:TieredStopAtLevel=1 -XX:+UseSerialGC} -Djava.util.logging.manager=org.jboss.logmanager.LogManager "$@" -cp "$cp" \
  "dev.slm.fleet.worker.bench.$main" worker/target/quarkus-app/quarkus-run.jar \
  worker/src/test/resources
