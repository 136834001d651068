# L2O — set-up, build, test and benchmark entry points.
#   make demo   installs missing system packages, builds (release) and runs the main job
#   make test   installs missing system packages and runs the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := demo

# System packages the project needs (Debian names).
APT_PACKAGES := pkg-config zlib1g-dev libopenblas-dev libhdf5-dev hdf5-tools python3-h5py dataset-fashion-mnist

# Let the vectorized kernels use AVX2/FMA when this CPU has them (see Package.swift).
L2O_TARGET_CPU ?= $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null && echo haswell)
export L2O_TARGET_CPU

SWIFT ?= swift
L2O := .build/release/l2o

.PHONY: deps build demo test bench peer-bench clean

## Install the system packages that are missing (apt-get; as root or through sudo).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
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
