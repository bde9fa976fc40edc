# The two commands the README opens with:
#   make run    local mode: router + workers as local processes, real MiniLM model, interactive chat
#   make test   builds (or reuses) the pinned Kubernetes binaries, the prepared models and the images, then runs every
#               test, the e2e suite on real pods included (skipped, with the reason, where containers cannot run)
#   make models prepares the real models (SmolLM2-135M-Instruct, rampart PII tagger) into ~/.cache/slm-fleet/models
#   make test-real-pods  images, then only the e2e suite on real pods (kubelet + containerd node); see e2e/README.md
#   make images the operator, worker and router OCI images, offline, without Docker (images/build; images/out/*.tar)
SHELL := /bin/bash
.PHONY: run test models test-real-pods build binaries images crds cluster-up cluster-down

run:
	./slm local

# Images first: the e2e real-pods suite (RealPodsIT, surefire execution real-pods) runs them; images/build --optional
# says why and goes on where it cannot build them, and the suite then reports itself skipped with the reason.
test: binaries models
	images/build --optional
	./mvnw -B verify

# Only the whole product on real pods (e2e RealPodsIT on e2e/cluster's real node).
test-real-pods: binaries models
	images/build --optional
	./mvnw -B -pl e2e test-compile surefire:test@real-pods

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
