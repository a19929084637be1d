# Clarion: `make demo` and `make test` set everything up from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# checkov pins boto3 and botocore far below the project's: it gets its own virtualenv.
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: venv console demo test lint typecheck synth deploy bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(SCAN_STAMP): infra/scanners.txt
	test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/scanners.txt
	touch $(SCAN_STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The console: built from the pinned npm packages of console/ into the Python package,
# so `clarion serve` serves it with no internet at run time.
CONSOLE_OUT := clarion/entrypoints/console/static/index.html
CONSOLE_SRC := $(wildcard console/src/*.js console/src/*/*.js console/src/*.css) console/index.html console/vite.config.js

console/node_modules/.installed: console/package.json console/package-lock.json
	npm ci --prefix console --no-audit --no-fund --loglevel=error
	touch $@

$(CONSOLE_OUT): console/node_modules/.installed $(CONSOLE_SRC)
	npm run --prefix console build --silent

console: $(CONSOLE_OUT)

demo: $(STAMP) $(CONSOLE_OUT)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash demo/run.sh

test: $(STAMP) $(SCAN_STAMP) $(CONSOLE_OUT)
	$(PY) -m pytest -n 2 --dist loadfile -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

synth: $(STAMP) $(SCAN_STAMP) node_modules/.installed $(CONSOLE_OUT)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx cdk synth --no-notices --quiet
	# cfn-lint's exit code is a bitmask: 1 fatal, 2 errors, 4 warnings, 8 informational.
	$(VENV)/bin/cfn-lint --ignore-checks W3696 W3005 -- cdk.out/*/*.template.json; \
	  code=$$?; test $$(( code & 3 )) -eq 0
	# Offline: without --skip-download checkov calls its vendor's service.
	$(SCAN_VENV)/bin/checkov --framework cloudformation --skip-download --quiet --compact \
	  $$(for t in cdk.out/*/*.template.json; do printf -- '-f %s ' "$$t"; done)

deploy: synth
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx cdk deploy --no-notices 'Clarion/*'

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(SCAN_VENV) node_modules console/node_modules clarion/entrypoints/console/static cdk.out build .clarion .pytest_cache .mypy_cache .ruff_cache
