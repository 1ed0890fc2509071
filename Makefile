# gancolor: `make demo`, `make test`, `make lab` work from a fresh clone with only Python 3 installed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt

.PHONY: help setup demo test test-unit test-notebooks lab notebooks execute bench lint clean

help:
	@echo "make setup      create .venv with everything (idempotent)"
	@echo "make demo       colorize the embedded held-out images -> demo.png + metrics table"
	@echo "make test       unit tests, exercise checks, notebook sync, nbval, student notebooks"
	@echo "make lab        open JupyterLab on notebooks/"
	@echo "make notebooks  regenerate notebooks/ from solutions/"
	@echo "make bench      measure training and colorize speed -> benchmarks/results.md"

setup: $(STAMP)

# The venv is rebuilt when the package's requirements or the pinned versions change.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -e '.[course,dev]'
	@touch $(STAMP)

demo: setup
	$(BIN)/gancolor demo

test: test-unit test-notebooks

test-unit: setup
	$(BIN)/python -m pytest -q tests

# nbval re-runs every solution notebook and compares its stored outputs (tests/nbval_sanitize.cfg
# masks timings, addresses and progress bars; see docs/notebook_conventions.md).
test-notebooks: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg solutions/

lab: setup
	$(BIN)/jupyter lab notebooks/

notebooks: setup
	$(BIN)/python -m gancolor.course.build solutions notebooks

execute: setup  # make execute NB=solutions/04_colorization.ipynb: run it in place, rebuild notebooks/
	$(BIN)/python -m gancolor.course.execute $(NB)

bench: setup
	$(BIN)/python benchmarks/run.py

lint: setup
	$(BIN)/ruff check gancolor tests benchmarks

clean:
	rm -rf $(VENV) datasets/cache demo.png .pytest_cache
