# Two entry points for a fresh machine: `make serve` and `make test`.
# Both create .venv/ and install newsfinder into it first (only when pyproject.toml changed).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test install browser clean-index

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

serve: $(VENV)/.installed
	$(VENV)/bin/newsfinder serve --host $(HOST) --port $(PORT)

browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

test: $(VENV)/.installed browser
	$(PY) -m pytest

clean-index:
	find index_data -mindepth 1 ! -name .gitkeep -delete
