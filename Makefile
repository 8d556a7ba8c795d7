# The README's two commands:
#   make site   install what the build needs, then build the example site into site/
#   make test   install everything (test tools, Debian chromium too), then lint, type-check, test
#
# Where things are installed: into the active virtualenv if there is one; else into
# $(PYTHON) if pip may install there (pyenv, CI); else -- Debian's and Ubuntu's own Python,
# which refuses (PEP 668 "externally-managed-environment") -- into a .venv made here, which
# then holds the `lessonpress` command (.venv/bin/lessonpress).
#
# `make deps` is idempotent: on a machine that already has everything it takes a few seconds.

PYTHON ?= python3
VENV ?= .venv
SITE_OUT ?= site
PYTEST_ARGS ?=

MANAGED := $(shell $(PYTHON) -c "import os, sys, sysconfig; print(int(sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))))" 2>/dev/null)
ifeq ($(MANAGED),1)
PY := $(VENV)/bin/python
else
PY := $(PYTHON)
endif
PIP := $(PY) -m pip

# Root (as in CI) runs apt-get directly; anyone else goes through sudo when it is there.
SUDO := $(shell [ "$$(id -u)" = 0 ] || ! command -v sudo >/dev/null 2>&1 || echo sudo)
CHROMIUM := /usr/bin/chromium
CHARTJS := node_modules/chart.js/dist/chart.umd.js

export PIP_ROOT_USER_ACTION := ignore
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export DEBIAN_FRONTEND := noninteractive

.PHONY: site test deps deps-python deps-test deps-browser lint typecheck pytest clean

site: deps-python
	$(PY) -m generator build --source . --out $(SITE_OUT)
	@if [ "$(PY)" != "$(PYTHON)" ]; then \
		echo "lessonpress is installed in $(VENV): run it as $(VENV)/bin/lessonpress," \
			"or after 'source $(VENV)/bin/activate'"; \
	fi

test: deps deps-browser lint typecheck pytest

deps: deps-python deps-test

# Chart.js first: the editable install of the package maps node_modules/chart.js into it.
# torch on its own, and only ever as torch==2.13.0 (the CPU build); any other spec pulls in
# gigabytes of CUDA wheels. hatchling is installed so the package builds without isolation
# (no throwaway build env to download on every run).
deps-python: $(CHARTJS) $(if $(filter 1,$(MANAGED)),$(VENV)/bin/python)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt hatchling==1.33.0 editables==0.6
	$(PIP) install -q --no-build-isolation -c constraints.txt -e '.[notebooks]'

# The test and lint tools: only `make test` needs them.
deps-test: deps-python
	$(PIP) install -q --no-build-isolation -c constraints.txt -e '.[test,notebooks]'

# Debian's Python has venv only with the python3-venv package.
$(VENV)/bin/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		echo "installing python3-venv"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && \
		$(PYTHON) -m venv $(VENV); }

$(CHARTJS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps-browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian chromium"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; \
	fi
	@$(CHROMIUM) --version 2>/dev/null

lint:
	$(PY) -m ruff check .

typecheck:
	$(PY) -m mypy

pytest:
	$(PY) -m pytest -o timeout=600 $(PYTEST_ARGS)

clean:
	rm -rf $(SITE_OUT) dist build .pytest_cache .mypy_cache .ruff_cache test-results
