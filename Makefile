# shiftgen — build, test and benchmark.
#
# The fast libjpeg-turbo codec is built when pkg-config finds libturbojpeg and libjpeg
# (Debian: apt-get install libturbojpeg0-dev libjpeg62-turbo-dev pkg-config); otherwise
# the pure-Go codec is used.

GO      ?= go
TAGS    ?= $(shell pkg-config --exists libturbojpeg libjpeg 2>/dev/null && echo turbojpeg)
# The library's version, recorded as the codec's name in manifests.
TURBO_VERSION := $(shell pkg-config --modversion libturbojpeg 2>/dev/null)
LDFLAGS := $(if $(TURBO_VERSION),-X github.com/shiftgen/shiftgen/pipeline/imageio.turboVersion=$(TURBO_VERSION))
BENCHFLAGS ?=
# A checkout of github.com/bethgelab/imagecorruptions for the ImageNet-C comparison in
# `make bench` (empty: the python's installed package, or the section is skipped).
IMAGECORRUPTIONS ?=
BIN     := bin/shiftgen
PKGS    := ./...
FUZZTIME ?= 10s

.PHONY: all build install test readme-check test-go-codec test-slurm demo paper-demo check check-imports fmt vet bench fuzz clean

all: build

build:
	@test -x $(BIN) || echo "building $(BIN); the first build downloads and compiles the dependencies and can take a few minutes..."
	$(GO) build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/shiftgen
	@echo "built $(BIN): $$(./$(BIN) version)"

## install: build bin/shiftgen (with the fast codec when libturbojpeg is found) and copy
## it to BINDIR: $(PREFIX)/bin when PREFIX is set, else $(go env GOBIN), else the first
## $(go env GOPATH)/bin, where `go install` puts programs too. Says so if BINDIR is not on
## the PATH.
PREFIX ?=
BINDIR ?= $(if $(PREFIX),$(PREFIX)/bin,$(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin))
install: build
	@mkdir -p "$(BINDIR)"
	@cp $(BIN) "$(BINDIR)/.shiftgen.tmp" && chmod 755 "$(BINDIR)/.shiftgen.tmp" && mv -f "$(BINDIR)/.shiftgen.tmp" "$(BINDIR)/shiftgen"
	@echo "installed $(BINDIR)/shiftgen"
	@case ":$$PATH:" in *":$(BINDIR):"*) ;; \
	  *) echo "$(BINDIR) is not on your PATH; add it, e.g. in ~/.profile: export PATH=\"$(BINDIR):\$$PATH\"";; esac

## test: the whole test suite with the race detector (the codec this machine builds),
## the README check included; cmd/shiftgen's end-to-end tests take several minutes on two
## cores, beyond go test's default 10-minute limit.
test:
	$(GO) test -race -timeout 30m -tags "$(TAGS)" $(PKGS)

## readme-check: run the console examples of README.md and of the package READMEs in a
## fresh clone and compare what they print (cmd/shiftgen/readme_test.go says how).
readme-check:
	$(GO) test -tags "$(TAGS)" -count=1 -run '^TestReadme' ./cmd/shiftgen/

## test-go-codec: the same suite forced onto the pure-Go codec, and the pipeline without
## its SIMD resampling passes.
test-go-codec:
	$(GO) test -race -timeout 30m $(PKGS)
	$(GO) test -race -tags purego ./pipeline/...

## test-slurm: the Slurm job array of pipeline/README.md (testdata/slurm/*.sh) run for real on a
## one-node cluster: .ci/slurm-cluster.sh installs slurm-wlm, slurmdbd, munge and
## mariadb-server from Debian when missing (as root), starts the daemons with their state
## in a scratch folder, runs the Slurm tests and always stops what it started.
test-slurm: build
	.ci/slurm-cluster.sh run env SHIFTGEN_SLURM=1 SHIFTGEN_BIN="$(CURDIR)/$(BIN)" \
	  $(GO) test -race -tags "$(TAGS)" -count=1 -v -timeout 9m -run '^TestSlurm' ./cmd/shiftgen/

## demo: generate the paper's three shifts from the sample embedded in the binary.
demo: build
	./$(BIN) generate --out out/demo --force --shift spurious-tint --shift unseen-tint --shift vflip
	@echo
	@echo "datasets written under out/demo/: each holds reference/, shifted/, manifest.json, records.jsonl"

## paper-demo: the paper's recipe in miniature, with SIMULATED predictions (no model is
## trained): the `paper` suite of 12 shifts from the embedded sample, made-up predictions
## (shiftgen reproduce predictions), one eval over the suite and its summary figures, all
## in PAPER_DEMO.
PAPER_DEMO ?= out/paper-demo
PAPER_DEMO_TITLE := paper suite, embedded sample, SIMULATED predictions
paper-demo: build
	@mkdir -p $(PAPER_DEMO)
	./$(BIN) generate --out $(PAPER_DEMO)/data --shift paper --force --quiet > $(PAPER_DEMO)/generate.log 2>&1 || { cat $(PAPER_DEMO)/generate.log; exit 1; }
	./$(BIN) reproduce predictions --manifest '$(PAPER_DEMO)/data/*' --out $(PAPER_DEMO)/preds --force
	./$(BIN) eval --manifest '$(PAPER_DEMO)/data/*' --predictions $(PAPER_DEMO)/preds --models $(PAPER_DEMO)/preds/models.csv \
	  --title "$(PAPER_DEMO_TITLE)" --plot $(PAPER_DEMO)/er.png --quiet > $(PAPER_DEMO)/report.txt
	@echo
	@echo "The predictions are SIMULATED: made up by shiftgen reproduce predictions, not by trained models."
	@echo "datasets:    $(PAPER_DEMO)/data/ (12 shifts; notes in $(PAPER_DEMO)/generate.log)"
	@echo "predictions: $(PAPER_DEMO)/preds/ (simulated; how: $(PAPER_DEMO)/preds/simulation.json)"
	@echo "report:      $(PAPER_DEMO)/report.txt"
	@echo "figures:     $(PAPER_DEMO)/er.png (one panel per shift)"
	@echo "             $(PAPER_DEMO)/er.kinds.png (mean ER per shift, in-support and out-of-support)"
	@echo "             $(PAPER_DEMO)/er.sweeps.png (mean ER over p_spurious and p_minority)"

check: fmt vet check-imports

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet -tags "$(TAGS)" $(PKGS)
	$(GO) vet -tags purego ./pipeline/...

## check-imports: layers point one way (STYLE.md): cmd → pipeline → pipeline/imageio →
## shifts, cmd/pipeline → manifests, cmd → manifests/eval and manifests/supportsplit →
## manifests. shifts and manifests import nothing else of ours; manifests/eval,
## manifests/supportsplit and manifests/internal/... import only manifests and
## manifests/internal/...; pipeline/imageio imports only shifts; only cmd imports
## urfave/cli and progressbar.
MOD := github.com/shiftgen/shiftgen
check-imports:
	@fail=0; \
	deps() { $(GO) list -deps $$1 2>/dev/null | grep "^$(MOD)/" | grep -v "^$$1$$"; }; \
	bad() { echo "import direction: $$1 must not depend on $$2"; fail=1; }; \
	for p in $$($(GO) list ./shifts/...); do \
	  deps $$p | grep -v "^$(MOD)/shifts" >/dev/null && bad $$p "other shiftgen packages"; done; \
	for p in $$($(GO) list ./manifests/ 2>/dev/null); do \
	  deps $$p >/dev/null && bad $$p "other shiftgen packages"; done; \
	for p in $$($(GO) list ./manifests/eval/... ./manifests/supportsplit/... ./manifests/internal/...); do \
	  deps $$p | grep -v -E "^$(MOD)/manifests(/internal/.*)?$$" | grep -v "^$$p/" >/dev/null && bad $$p "anything but manifests and manifests/internal"; done; \
	for p in $$($(GO) list ./pipeline/imageio/...); do \
	  deps $$p | grep -v -E "^$(MOD)/(shifts|pipeline/imageio)(/.*)?$$" >/dev/null && bad $$p "anything but shifts"; done; \
	for p in $$($(GO) list ./pipeline/...); do \
	  deps $$p | grep -E "^$(MOD)/(cmd|manifests/eval|manifests/supportsplit)" >/dev/null && bad $$p "cmd, manifests/eval or manifests/supportsplit"; done; \
	for p in $$($(GO) list ./... | grep -v "^$(MOD)/cmd/"); do \
	  $(GO) list -deps $$p | grep -E "urfave/cli|schollz/progressbar" >/dev/null && bad $$p "urfave/cli or progressbar (cmd only)"; done; \
	exit $$fail
	@echo "import directions ok"

## bench: Go micro-benchmarks, then the side-by-side report per source image for the same
## work: shiftgen and its pure-Go build (bin/shiftgen-go) against the PIL reference run with
## --both, and against the codec floor (needs ../shared/imagenet-sample and /usr/bin/python3
## with python3-pil and python3-numpy; on a busy machine BENCHFLAGS="-tmp /dev/shm -rounds 9"
## steadies the figures), then the ImageNet-C corruptions against imagecorruptions on one
## core (skipped without it; see IMAGECORRUPTIONS above; -imagenetc-only runs just that
## section).
bench: build
	$(GO) build -o bin/shiftgen-go ./cmd/shiftgen
	$(GO) test -tags "$(TAGS)" -run XXX -bench . -benchmem ./shifts/... ./pipeline/... ./manifests/...
	$(GO) run -tags "$(TAGS)" -ldflags "$(LDFLAGS)" ./cmd/benchreport -bin $(BIN) -gobin bin/shiftgen-go $(if $(IMAGECORRUPTIONS),-imagecorruptions $(IMAGECORRUPTIONS)) $(BENCHFLAGS)

## fuzz: run every fuzz target briefly.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -tags "$(TAGS)" -run XXX -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

clean:
	rm -rf bin out
