# The two commands the README opens with:
#   make run    local mode: router + workers as local processes, real MiniLM model, interactive chat
#   make test   builds (or reuses) the pinned Kubernetes binaries and the prepared models, then runs every test
#   make models prepares the real models (SmolLM2-135M-Instruct, rampart PII tagger) into ~/.cache/slm-fleet/models
#   make test-real-pods  images, then the e2e suite on real pods (kubelet + containerd node); see e2e/README.md
#   make images the operator, worker and router OCI images, offline, without Docker (images/build; images/out/*.tar)
SHELL := /bin/bash
.PHONY: run test models test-real-pods build binaries images crds cluster-up cluster-down

run:
	./slm local

test: binaries models
	./mvnw -B verify

# The whole product on real pods (e2e RealPodsIT on e2e/cluster's real node); skipped, with the reason, where
# containers cannot run. About 6 minutes here with images, base and binaries cached.
test-real-pods: binaries
	images/build --optional
	./mvnw -B -pl e2e test-compile surefire:test@real-pods -Dslm.e2e.skipRealPods=false

models:
	worker/scripts/prepare-models

build:
	./mvnw -B -q install -DskipTests

binaries:
	e2e/build-binaries

images:
	images/build

cluster-up:
	e2e/cluster up

cluster-down:
	e2e/cluster down
