# coachlens: `make run` (install, build the demo warehouse, start the dashboard) and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/coachlens.duckdb
PORT ?= 8501
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: run install install-test demo test browser-deps bench bench-scale clean

$(VENV)/.base: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(PIP_INSTALL) -c constraints.txt -e .
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP_INSTALL) -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.base
install-test: $(VENV)/.test

# The demo warehouse, rebuilt when sample_data/ or the code that loads it changes (a warehouse built by an
# older version may lack a mart the dashboard reads); its HR extract is dated as truth.json says.
$(DB): $(VENV)/.base $(wildcard sample_data/*) $(shell find pipelines -name '*.py' -o -name '*.sql' -o -name '*.toml')
	$(BIN)/coachlens init
	rm -f $(DB)
	$(BIN)/coachlens ingest sample_data/ --db $(DB) --extract-date 2025-12-31

demo: $(DB)

run: demo
	$(BIN)/coachlens dashboard --db $(DB) --port $(PORT)

# Debian's chromium for the browser tests (playwright's own browser download cannot work offline).
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core fonts-liberation >/dev/null) \
	    || echo "warning: could not install chromium; browser tests will be skipped"; \
	else echo "warning: /usr/bin/chromium missing and not root: run 'sudo apt-get install chromium'"; fi

test: $(VENV)/.test browser-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

bench: $(VENV)/.test
	$(BIN)/python -m bench.run

bench-scale: $(VENV)/.test
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) data artifacts .pytest_cache
