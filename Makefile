# The two commands the README opens with:
#   make run    local mode: router + workers as local processes, real MiniLM model, interactive chat
#   make test   builds (or reuses) the pinned Kubernetes binaries, then builds and runs every test
#   make images the operator, worker and router OCI images, offline, without Docker (images/build; images/out/*.tar)
SHELL := /bin/bash
.PHONY: run test build binaries images crds cluster-up cluster-down

run:
	./slm local

# Images first: the e2e real-pods suite runs them (it is skipped, with the reason, where they cannot be built or run).
test: binaries
	images/build --optional
	./mvnw -B verify

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
