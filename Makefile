# deep21-tf: `make demo` runs the main job on the tiny default, `make test` runs the tests.
# Both install everything first (Debian packages for 21cmFAST, a virtual environment in .venv/).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= runs/demo
BENCH_DIR ?= runs/bench

.PHONY: install test test-fast demo bench clean

install: $(STAMP)

## pip would compile the installed modules to bytecode on one core; compileall does it on every core (a loaded
## 2-core host, 2026-12-07: install 297 s -> 232 s). Without bytecode each start of TensorFlow is ~2x slower where
## PYTHONDONTWRITEBYTECODE is set, so the compile step stays.
$(STAMP): setup.py
	@if ! dpkg -s libfftw3-dev libgsl-dev >/dev/null 2>&1; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libfftw3-dev libgsl-dev; \
	fi
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip wheel setuptools
	$(PY) -m pip install --no-compile -e ".[dev]"
	$(PY) -W ignore -m compileall -q -j 0 $(VENV)/lib
	touch $(STAMP)

## The linter, then the whole test suite (real 21cmFAST, TFDS and Keras at tiny sizes) on two pytest-xdist workers,
## a test file's tests on one worker (its module fixtures are made once).
test: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=15

## Only the fast tests (no 21cmFAST runs, no tfds build, no training).
test-fast: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m "not slow"

## The main job end to end on the tiny preset, into $(DEMO_DIR).
demo: install
	$(VENV)/bin/deep21-pipeline --flagfile=flags/demo.flags --run_dir=$(DEMO_DIR)

## Benchmarks: print figures (run them on an otherwise idle machine; ~30 min on 2 cores).
bench: install
	$(PY) bench/bench_simulation.py
	$(PY) bench/bench_pipeline.py --work_dir=$(BENCH_DIR)/pipeline
	$(PY) bench/bench_training.py
	$(PY) bench/bench_startup.py

clean:
	rm -rf $(DEMO_DIR) .pytest_cache
