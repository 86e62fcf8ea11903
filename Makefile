VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test test-fast demo bench clean

install: $(STAMP)

$(STAMP): setup.py
	@if ! dpkg -s libfftw3-dev libgsl-dev >/dev/null 2>&1; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libfftw3-dev libgsl-dev; \
	fi
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip wheel setuptools
	$(PY) -m pip install -e ".[dev]"
	touch $(STAMP)
