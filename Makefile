# The README's two commands:
#   make site   install what the build needs, then build the example site into site/
#   make test   install everything (test tools, Debian chromium too), then lint, type-check, test
#
# `make deps` is idempotent: on a machine that already has everything it takes a few seconds.

PYTHON ?= python3
PIP := $(PYTHON) -m pip
SITE_OUT ?= site
PYTEST_ARGS ?=

# Root (as in CI) runs apt-get directly; anyone else goes through sudo when it is there.
SUDO := $(shell [ "$$(id -u)" = 0 ] || ! command -v sudo >/dev/null 2>&1 || echo sudo)
CHROMIUM := /usr/bin/chromium
CHARTJS := node_modules/chart.js/dist/chart.umd.js

export PIP_ROOT_USER_ACTION := ignore
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export DEBIAN_FRONTEND := noninteractive

.PHONY: site test deps deps-python deps-browser lint typecheck pytest clean

site: deps-python
	$(PYTHON) -m generator build --source . --out $(SITE_OUT)

test: deps deps-browser lint typecheck pytest

deps: deps-python

# Chart.js first: the editable install of the package maps node_modules/chart.js into it.
# torch on its own, and only ever as torch==2.13.0 (the CPU build); any other spec pulls in
# gigabytes of CUDA wheels. hatchling is installed so the package builds without isolation
# (no throwaway build env to download on every run).
deps-python: $(CHARTJS)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt hatchling==1.33.0 editables==0.6
	$(PIP) install -q --no-build-isolation -c constraints.txt -e '.[test,notebooks]'

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
	$(PYTHON) -m ruff check .

typecheck:
	$(PYTHON) -m mypy

pytest:
	$(PYTHON) -m pytest -o timeout=600 $(PYTEST_ARGS)

clean:
	rm -rf $(SITE_OUT) dist build .pytest_cache .mypy_cache .ruff_cache test-results
