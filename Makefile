# Two entry points for a fresh machine: `make serve` and `make test`.
# Both create .venv/ and install newsfinder into it first (only when pyproject.toml changed).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test install clean-index

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

serve: $(VENV)/.installed
	$(VENV)/bin/newsfinder serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	$(PY) -m pytest

clean-index:
	find index_data -mindepth 1 ! -name .gitkeep -delete
