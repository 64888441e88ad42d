# Two entry points for a fresh machine: `make serve` and `make test`; `make test-fast` is the
# quick inner loop (no corpus, server or browser tests; markers in tests/conftest.py).
# Both create .venv/ and install newsfinder into it first (only when pyproject.toml or the
# interpreter chosen below changed).

# The distribution's Python when it is 3.10+ and can make a venv: Debian builds it with
# profile-guided and link-time optimisation, pyenv's default build has neither (a reindex
# takes about a sixth less CPU on Debian's; BENCHMARKS.md). `make PYTHON=python3.12 ...` overrides.
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell /usr/bin/python3 -c 'import ensurepip, sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null \
	&& echo /usr/bin/python3 || echo python3)
endif
VENV ?= .venv
PY := $(VENV)/bin/python
# Named after the interpreter, so choosing another one rebuilds the venv.
INSTALLED := $(VENV)/.installed-$(subst /,_,$(PYTHON))
HOST ?= 127.0.0.1
PORT ?= 8000
# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test test-fast install browser clean-index

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(INSTALLED)

serve: $(INSTALLED)
	$(VENV)/bin/newsfinder serve --host $(HOST) --port $(PORT)

browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

test: $(INSTALLED) browser
	$(PY) -m pytest

test-fast: $(INSTALLED)
	$(PY) -m pytest -q -m fast

clean-index:
	find index_data -mindepth 1 ! -name .gitkeep -delete
