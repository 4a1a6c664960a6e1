# Entry points. `make serve` builds the book (every lab executed against the book's cluster)
# and serves it; `make test` runs the whole test suite. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BACKEND ?= auto
PORT ?= 8000

.PHONY: setup system-deps binaries cluster cluster-down cluster-status book serve test test-unit bench lint clean assess

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

setup: $(VENV)/.installed system-deps

system-deps:
	@bash scripts/system-deps.sh

binaries: setup
	$(PY) -m threeplanes binaries

cluster: setup
	$(PY) -m threeplanes cluster up --backend $(BACKEND)

cluster-down: $(VENV)/.installed
	$(PY) -m threeplanes cluster down

cluster-status: $(VENV)/.installed
	$(PY) -m threeplanes cluster status

book: cluster
	rm -rf _build/.jupyter_cache
	$(VENV)/bin/jupyter-book build --keep-going .
	@echo "The book is in _build/html/index.html"

serve: book
	@echo "Serving the book on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

test: setup
	WITH_BROWSER=1 bash scripts/system-deps.sh
	$(PY) -m pytest

test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

assess: $(VENV)/.installed
	$(PY) -m threeplanes assess

bench: cluster
	$(PY) -m threeplanes.bench

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests exercises book
	$(VENV)/bin/ruff format --check src tests exercises book
	$(VENV)/bin/codespell book labs exercises src README.md

clean:
	rm -rf _build
