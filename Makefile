# shiftgen — build, test and benchmark.
#
# The fast libjpeg-turbo codec is built when pkg-config finds libturbojpeg (Debian:
# apt-get install libturbojpeg0-dev pkg-config); otherwise the pure-Go codec is used.

GO      ?= go
TAGS    ?= $(shell pkg-config --exists libturbojpeg 2>/dev/null && echo turbojpeg)
# The library's version, recorded as the codec's name in manifests.
TURBO_VERSION := $(shell pkg-config --modversion libturbojpeg 2>/dev/null)
LDFLAGS := $(if $(TURBO_VERSION),-X github.com/shiftgen/shiftgen/pipeline.turboVersion=$(TURBO_VERSION))
BENCHFLAGS ?=
# A checkout of github.com/bethgelab/imagecorruptions for the ImageNet-C comparison in
# `make bench` (empty: the python's installed package, or the section is skipped).
IMAGECORRUPTIONS ?=
BIN     := bin/shiftgen
PKGS    := ./...
FUZZTIME ?= 10s

.PHONY: all build test test-go-codec demo check check-imports fmt vet bench fuzz clean

all: build

build:
	$(GO) build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/shiftgen
	@echo "built $(BIN): $$(./$(BIN) version)"

## test: the whole test suite with the race detector (the codec this machine builds).
test:
	$(GO) test -race -tags "$(TAGS)" $(PKGS)

## test-go-codec: the same suite forced onto the pure-Go codec, and the pipeline without
## its SIMD resampling passes.
test-go-codec:
	$(GO) test -race $(PKGS)
	$(GO) test -race -tags purego ./pipeline/...

## demo: generate the paper's three shifts from the sample embedded in the binary.
demo: build
	./$(BIN) generate --out out/demo --force --shift spurious-tint --shift unseen-tint --shift vflip
	@echo
	@echo "datasets written under out/demo/: each holds reference/, shifted/, manifest.json, records.jsonl"

check: fmt vet check-imports

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet -tags "$(TAGS)" $(PKGS)
	$(GO) vet -tags purego ./pipeline/...

## check-imports: layers point one way (STYLE.md): cmd → pipeline → shifts,
## cmd/pipeline → manifests, cmd → manifests/eval → manifests; shifts and manifests import
## nothing else of ours; only cmd imports urfave/cli and progressbar.
MOD := github.com/shiftgen/shiftgen
check-imports:
	@fail=0; \
	deps() { $(GO) list -deps $$1 2>/dev/null; }; \
	bad() { echo "import direction: $$1 must not depend on $$2"; fail=1; }; \
	for p in $$($(GO) list ./shifts/...); do \
	  deps $$p | grep "^$(MOD)/" | grep -v "^$(MOD)/shifts" >/dev/null && bad $$p "other shiftgen packages"; done; \
	for p in $$($(GO) list ./manifests/...); do \
	  deps $$p | grep -E "^$(MOD)/(pipeline|shifts|cmd)" >/dev/null && bad $$p "pipeline, shifts or cmd"; done; \
	for p in $$($(GO) list ./manifests/ 2>/dev/null); do \
	  deps $$p | grep "^$(MOD)/" | grep -v "^$(MOD)/manifests$$" >/dev/null && bad $$p "other shiftgen packages"; done; \
	for p in $$($(GO) list ./pipeline/...); do \
	  deps $$p | grep -E "^$(MOD)/(cmd|manifests/eval)" >/dev/null && bad $$p "cmd or manifests/eval"; done; \
	for p in $$($(GO) list ./... | grep -v "^$(MOD)/cmd/"); do \
	  deps $$p | grep -E "urfave/cli|schollz/progressbar" >/dev/null && bad $$p "urfave/cli or progressbar (cmd only)"; done; \
	exit $$fail
	@echo "import directions ok"

## bench: Go micro-benchmarks, then the side-by-side report against the PIL reference
## (needs ../shared/imagenet-sample and /usr/bin/python3 with python3-pil and python3-numpy;
## on a busy machine BENCHFLAGS="-tmp /dev/shm -rounds 7" steadies the figures), then the
## ImageNet-C corruptions against imagecorruptions on one core (skipped without it; see
## IMAGECORRUPTIONS above; -imagenetc-only runs just that section).
bench: build
	$(GO) test -tags "$(TAGS)" -run XXX -bench . -benchmem ./shifts/... ./pipeline/... ./manifests/...
	$(GO) run -tags "$(TAGS)" -ldflags "$(LDFLAGS)" ./cmd/benchreport -bin $(BIN) $(if $(IMAGECORRUPTIONS),-imagecorruptions $(IMAGECORRUPTIONS)) $(BENCHFLAGS)

## fuzz: run every fuzz target briefly.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -tags "$(TAGS)" -run XXX -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

clean:
	rm -rf bin out
