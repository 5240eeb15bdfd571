# Two commands on a fresh machine with only Python 3.11+:
#   make demo   — build .venv, install, run the main job on a demo database
#   make test   — build .venv, install, run the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean catalogs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	rm -f demo.db demo.db-wal demo.db-shm
	$(BIN)/leadcycle --db demo.db demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# after changing a message or a help text: bring new messages into
# core/locale/*/LC_MESSAGES/leadcycle.po, translate them there, run again
catalogs: $(STAMP)
	$(BIN)/python -m leadcycle.cli.messages

# benchmarks get a virtualenv of their own: with pandas installed, every
# sqlite-utils import (so every leadcycle command) loads pandas too
bench:
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet -e '.[test,bench]'
	.venv-bench/bin/python bench/run $(ARGS)

clean:
	rm -rf $(VENV) .venv-bench *.egg-info build dist demo.db*
