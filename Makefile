# One-line aliases for Nox sessions; all logic lives in noxfile.py.
PYTHON ?= python3
NOX := .venv/bin/nox
# When this `make` started, so `make demo` can print its real total (bootstrap and installs included).
export THOTH_STARTED_AT := $(shell date +%s)

.PHONY: test lint typecheck lock demo serve bench build clean

test: $(NOX)
	$(NOX) -s lock -- --check && $(NOX) -s lint typecheck tests tests_e2e

lint: $(NOX)
	$(NOX) -s lint

typecheck: $(NOX)
	$(NOX) -s typecheck

lock: $(NOX)
	$(NOX) -s lock

demo: $(NOX)
	$(NOX) -s demo

serve: $(NOX)
	$(NOX) -s serve

bench: $(NOX)
	$(NOX) -s bench

build: $(NOX)
	$(NOX) -s build_layer build_functions

clean:
	rm -rf .venv .nox build lambda-layers lambda-functions

$(NOX): requirements/nox.txt
	$(PYTHON) -m venv .venv
	@echo "bootstrapping .venv with nox (once; every task then runs through nox)"
	.venv/bin/pip install --quiet --require-hashes --no-deps -r requirements/nox.txt
	touch $(NOX)
