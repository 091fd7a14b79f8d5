# annex — two commands on a fresh machine: `make run` and `make test`.
GO       ?= go
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 10s

.PHONY: build run test soak bench fuzz deps clean image

## build: the cgo-free annex binary, ./annex
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o annex ./cmd/annex

## run: build and start `annex up` with the embedded demo configuration, driving the demo flow on a timer
run: build
	./annex up --demo-auto

## deps: what the tests need from Debian (xmllint, OpenSSH's sftp client); a no-op once installed
deps:
	@scripts/install-test-deps.sh

## test: vet, staticcheck, the whole test suite, the scenario suite again across two Ginkgo processes, then the testcontainers module against a fresh annex:dev
test: deps
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) test -count=1 ./...
	$(GO) run github.com/onsi/ginkgo/v2/ginkgo --procs 2 ./scenarios
	@# The testcontainers module runs annex:dev; without a Docker engine its container test skips.
	if docker info >/dev/null 2>&1; then $(MAKE) image; fi
	cd testcontainers/annex && $(GO) vet ./... && $(GO) test -count=1 ./...

## soak: the long crash-safety run (issue 11): 2,000 requests by SFTP and REST, pick lists, 12 kill -9, mock ALMA at 30 % faults, with and without lookups
soak:
	ANNEX_SOAK=1 $(GO) test -count=1 -timeout 30m -run 'TestCrashSafetySoak' -v ./cmd/annex

## image: the container image annex:dev and annex:$(VERSION), FROM scratch with the binary built here (no registry needed)
IMAGE_CTX := build/image
image:
	rm -rf $(IMAGE_CTX) && mkdir -p $(IMAGE_CTX)/etc $(IMAGE_CTX)/data $(IMAGE_CTX)/tmp
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(IMAGE_CTX)/annex ./cmd/annex
	printf 'root:x:0:0:root:/:/sbin/nologin\nannex:x:65532:65532:annex:/data:/sbin/nologin\n' >$(IMAGE_CTX)/etc/passwd
	printf 'root:x:0:\nannex:x:65532:\n' >$(IMAGE_CTX)/etc/group
	chmod 1777 $(IMAGE_CTX)/tmp
	docker build -f Dockerfile -t annex:dev -t annex:$(VERSION) $(IMAGE_CTX)

## bench: every benchmark, with allocations
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem ./...

## fuzz: a short run ($(FUZZTIME)) of every fuzz target
fuzz:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz-all.sh

clean:
	rm -f annex
	rm -rf build/image
