# gancolor: `make demo`, `make test`, `make lab` work from a fresh clone with only Python 3 installed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt

.PHONY: help setup demo test test-unit test-notebooks test-browser test-wheel lab notebooks nbgrader pin-release execute bench lint clean

help:
	@echo "make setup      create .venv with everything (idempotent)"
	@echo "make demo       colorize the embedded held-out images -> demo.png + metrics table"
	@echo "make test       unit tests, exercise checks, notebook sync, nbval, student notebooks"
	@echo "make test-browser  the widgets in JupyterLab in headless Chromium (installs Chromium, Playwright)"
	@echo "make test-wheel build the wheel, install it in a fresh Python 3.12 venv, run it outside the repo"
	@echo "make lab        open JupyterLab on notebooks/ (adds --allow-root when run as root)"
	@echo "make notebooks  regenerate notebooks/ from solutions/"
	@echo "make pin-release  after a version bump: Colab install lines and badges -> the tag v<version>"
	@echo "make nbgrader   write an nbgrader course folder (build/nbgrader/source/) from solutions/"
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
	$(BIN)/python -m pytest -q -n 2 tests

# nbval re-runs every solution notebook and compares its stored outputs (tests/nbval_sanitize.cfg
# masks timings, addresses and progress bars; see docs/notebook_conventions.md).
test-notebooks: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg solutions/

# Real-browser tests (tests/browser, docs/browser_test.md): JupyterLab on 127.0.0.1 driven in Debian's
# Chromium by Playwright (never a browser download of its own). Installs Chromium with apt-get when
# missing and running as root; fails, saying what to install, where it cannot.
# NOTEBOOKS=a.ipynb:b.ipynb (paths from the repository) chooses the notebooks; CHROMIUM the browser.
CHROMIUM  ?= /usr/bin/chromium
NOTEBOOKS ?=
test-browser: setup
	@if [ ! -x "$(CHROMIUM)" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "test-browser: installing Debian's chromium (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q chromium >/dev/null 2>&1 || \
			{ apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || true; \
	fi; \
	if [ ! -x "$(CHROMIUM)" ]; then \
		echo "test-browser: FAILED: no Chromium at $(CHROMIUM). Install Debian's package as root" \
			"(apt-get install chromium), or run with CHROMIUM=/path/to/chromium." >&2; \
		exit 1; \
	fi
	$(PIP) install -q playwright
	GANCOLOR_CHROMIUM=$(CHROMIUM) $(if $(NOTEBOOKS),GANCOLOR_BROWSER_NOTEBOOKS=$(NOTEBOOKS)) \
		$(BIN)/python -m pytest -q -p no:cacheprovider -m browser -rA tests/browser
	@cat build/browser/*_timings.json 2>/dev/null || true

# The wheel as a user gets it: built from the tracked files, installed with its dependencies into a
# fresh Python 3.12 venv (the version Colab runs; PY312=/path/to/python3.12 chooses another), then
# `gancolor --help` and `gancolor colorize` run from a temporary folder (.ci/test-wheel).
test-wheel:
	bash .ci/test-wheel

# Jupyter refuses to run as root (Docker, Colab terminals, CI machines) without --allow-root.
# USER_ID is who runs make (id -u); it is evaluated only when `make lab` runs.
USER_ID ?= $(shell id -u)
lab: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(USER_ID)),--allow-root )notebooks/

notebooks: setup
	$(BIN)/python -m gancolor.course.build solutions notebooks

# After a version bump: every Colab install line and badge -> the tag v<version>, notebooks/ rebuilt
# (CONTRIBUTING.md, "Releasing").
pin-release: setup
	$(BIN)/python -c "from gancolor.course.build.release import main; raise SystemExit(main())"

# nbgrader's source/ tree (one assignment per notebook) and nbgrader_config.py, in build/ (not in git);
# then: cd build/nbgrader && nbgrader generate_assignment 03_lab_color_space (see docs/grading.md).
nbgrader: setup
	$(BIN)/python -m gancolor.course.nbgrader_export solutions build/nbgrader

execute: setup  # make execute NB=solutions/04_colorization.ipynb: run it in place, rebuild notebooks/
	$(BIN)/python -m gancolor.course.execute $(NB)

bench: setup
	$(BIN)/python benchmarks/run.py

lint: setup
	$(BIN)/ruff check gancolor tests benchmarks

clean:
	rm -rf $(VENV) datasets/cache demo.png .pytest_cache
