# Entry points. `make serve` builds the book (every lab executed against the book's cluster)
# and serves it; `make test` runs the whole test suite. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BACKEND ?= auto
CONTEXT ?=
PORT ?= 8000
# Labs and checkers mostly wait on the API server, so more workers than cores pays off.
WORKERS ?= 5
LAB_PORT ?= 8888
PYTHON ?= python3
# JupyterLab refuses to run as root unless told; CI runs as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: setup doctor system-deps binaries cluster cluster-down cluster-status shell lab book serve test test-unit bench lint clean assess

# Python's own checks run before the virtual environment exists: an old Python, or a Debian
# Python without python3-venv, is told in one sentence instead of failing half-way.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) src/threeplanes/provision/doctor.py --before-venv
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

setup: $(VENV)/.installed system-deps

doctor: $(VENV)/.installed
	$(PY) -m threeplanes doctor --port $(PORT) --port $(LAB_PORT)

system-deps:
	@bash scripts/system-deps.sh

binaries: setup
	$(PY) -m threeplanes binaries

cluster: setup
	$(PY) -m threeplanes cluster up --backend $(BACKEND) $(if $(CONTEXT),--context $(CONTEXT))

cluster-down: $(VENV)/.installed
	$(PY) -m threeplanes cluster down

cluster-status: $(VENV)/.installed
	$(PY) -m threeplanes cluster status

# A shell whose kubectl is the pinned one and whose KUBECONFIG is the book's cluster.
shell: $(VENV)/.installed
	@PY=$(PY) bash scripts/shell.sh

# JupyterLab on 127.0.0.1 with the labs as notebooks (jupytext, the default viewer of .md files through
# scripts/jupyterlab/overrides.json), the repository's environment as the kernel.
lab: cluster
	$(PY) -m threeplanes doctor --only-ports --port $(LAB_PORT)
	$(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --port=$(LAB_PORT) --ServerApp.root_dir=$(CURDIR) \
		--LabApp.app_settings_dir=$(CURDIR)/scripts/jupyterlab $(ALLOW_ROOT) labs/00-meet-your-cluster.md

# Every page with code cells (each lab, and the book's pages that compute what they show) runs afresh
# against the cluster, WORKERS at a time (each lab in a namespace of its own), into the execution cache;
# a page that fails stops the build here, its cell and traceback printed. The build then reads every
# page again from that cache (--all) and, like the tests, fails on any warning.
book: cluster
	rm -rf _build/.jupyter_cache
	$(PY) -m threeplanes execute --workers $(WORKERS)
	$(VENV)/bin/jupyter-book build --all -W --keep-going .
	@echo "The book is in _build/html/index.html"

serve: book
	$(PY) -m threeplanes doctor --only-ports --port $(PORT)
	@echo "Serving the book on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

# Unit tests, the kit, every lab and every exercise checker run side by side in a random order
# (pytest-randomly prints its seed; rerun one order with --randomly-seed=N). The
# cluster's start-stop cycles (which restart it) and then the book build and the browser checks
# run alone, the book on the labs' cached outputs.
test: setup
	WITH_BROWSER=1 bash scripts/system-deps.sh
	$(PY) -m pytest -n $(WORKERS) --dist worksteal tests/unit tests/kit tests/labs tests/exercises
	$(PY) -m pytest -p no:randomly -m lifecycle tests/kit
	$(PY) -m pytest -p no:randomly tests/site

test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

assess: $(VENV)/.installed
	$(PY) -m threeplanes assess

# Every figure of book/benchmarks.md; ONLY=a,b runs some steps (`.venv/bin/threeplanes bench --list` names them).
bench: cluster
	$(PY) -m threeplanes bench $(if $(ONLY),--only $(ONLY))

# Every lab and every exercise case N times, WORKERS at a time in a random order on the book's cluster, with
# each one's pass rate (into bench/results.json); any case under 100 % fails. ONLY=<pytest -k expression>
# soaks some of them: make soak N=2 ONLY="00-meet or f4-batch".
N ?= 10
.PHONY: soak
soak: cluster
	$(PY) -m threeplanes soak --count $(N) --workers $(WORKERS) $(if $(ONLY),-k '$(ONLY)')

lint: $(VENV)/.installed
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check src tests exercises book
	$(VENV)/bin/ruff format --check src tests exercises book
	$(VENV)/bin/codespell book labs exercises src README.md

clean:
	rm -rf _build
