# lexmap — two commands on a fresh clone: `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install browser serve ingest test screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

ingest: install
	$(BIN)/lexmap ingest

# Ingests the default corpus when the store is empty or stale (unchanged acts
# are skipped in seconds), then serves the API and the page.
serve: install
	$(BIN)/lexmap ingest --keep-going
	$(BIN)/lexmap serve --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright drives it; no browser download) and axe-core from npm.
CHROMIUM ?= /usr/bin/chromium
APT := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || (command -v sudo >/dev/null && echo "sudo apt-get"))
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ -n "$(APT)" ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq --no-install-recommends chromium >/dev/null || \
	    { $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq --no-install-recommends chromium >/dev/null; }; \
	  else echo "no root and no sudo: install chromium (apt-get install chromium) or the browser tests are skipped"; fi; \
	fi
	@# axe-core (package.json, package-lock.json): the accessibility rules the browser tests inject
	@if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/axe-core/axe.min.js ]; then \
	  if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent; \
	  else echo "npm is missing (apt-get install npm): the accessibility checks of the browser tests fail"; fi; \
	fi

test: install browser
	$(BIN)/python -m pytest -q

# The README's screenshots: the browser tests, writing into docs/screenshots/ (a plain
# `make test` writes them to a temporary directory and leaves the tracked images alone).
screenshots: install browser
	LEXMAP_SCREENSHOTS=$(CURDIR)/docs/screenshots LEXMAP_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q tests/test_browser.py

# The figures of the README's Benchmarks section (each bench prints its own reference);
# bench/remote.py and bench/reliability.py start servers of their own and run apart.
bench: install
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/page.py
	$(BIN)/python bench/diff.py
	$(BIN)/python bench/search.py --skip-whoosh
	$(BIN)/python bench/mappings.py --plot docs/reliability.png
	$(BIN)/python bench/mappings.py --coverage
	$(BIN)/python bench/parts.py
	$(BIN)/python bench/writes.py
	$(BIN)/python bench/references.py
	$(BIN)/python bench/dumps.py

clean:
	rm -rf var .pytest_cache
