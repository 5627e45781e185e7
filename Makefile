# pe-tools: the Makefile is the interface. `make help` lists the targets.
SHELL := /bin/bash
CONFIG ?= Release
DOTNET ?= dotnet
TOOLS := pe-gen-task pe-spectrum pe-train pe-heads pe-report
DEMO_DIR ?= out/demo
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help build test test-gpu lint demo bench install clean gpu-bundle

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: ## build every project (Release)
	$(DOTNET) build pe-tools.sln -c $(CONFIG) -nologo -v quiet -clp:ErrorsOnly

test: build ## run every CPU test; ends with "N passed, N failed"
	@bash build/run-tests.sh $(CONFIG)

test-gpu: build ## run the GPU-only tests (needs CUDA libtorch: PE_LIBTORCH or a PyTorch install)
	$(DOTNET) test pe-tools.sln -c $(CONFIG) --no-build --filter "Category=GPU"

lint: ## formatting, the I/O and size rules of STYLE.md
	$(DOTNET) format pe-tools.sln --verify-no-changes -v quiet
	@bash build/lint.sh

demo: build ## the main job end to end on CPU with small defaults
	@bash examples/demo.sh $(CONFIG) $(DEMO_DIR)

bench: build ## benchmarks side by side with their numpy/PyTorch peers (appends to BENCHMARKS.md)
	@for b in bench/*/run.sh; do bash $$b || exit 1; done

install: ## pack the five tools into ./nupkg and install them as global dotnet tools
	$(DOTNET) pack pe-tools.sln -c $(CONFIG) -o nupkg -nologo -v quiet
	@for t in $(TOOLS); do \
	  if [ -d src/$$t ]; then \
	    $(DOTNET) tool update -g --add-source ./nupkg $$t >/dev/null 2>&1 || $(DOTNET) tool install -g --add-source ./nupkg $$t; \
	  fi; done
	@echo "installed; make sure ~/.dotnet/tools is on PATH"

gpu-bundle: ## dist/pe-tools-linux-x64.tar.xz: self-contained tools without libtorch, for a machine with PyTorch + CUDA
	@bash build/gpu-bundle.sh

clean: ## remove build outputs, packages and demo output
	rm -rf nupkg dist out
	find src tests bench -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
