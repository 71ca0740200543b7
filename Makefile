# Two commands on a fresh machine: `make run` and `make test`. Each creates .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM := $(VENV)/.system
# Test processes for `make unit`: one per core; each test file runs whole in one of them.
TEST_WORKERS ?= auto
SETUP_SCRIPTS := $(sort $(wildcard tools/setup/*.sh))

.PHONY: run test lint types contracts native unit bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Parts the tests need that pip does not install (browsers, servers, chain nodes): tools/setup/.
$(SYSTEM): $(BIN)/python $(SETUP_SCRIPTS) tools/setup/lib.bash tools/node/package-lock.json
	for script in $(SETUP_SCRIPTS); do bash $$script || exit 1; done
	touch $(SYSTEM)

# The verification hot path compiled by mypyc, in place (tools/build_native.py); it returns at
# once when nothing changed, and leaves ecert pure Python where there is no C compiler.
native: $(STAMP)
	$(BIN)/python tools/build_native.py

run: native
	$(BIN)/ecert demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(SYSTEM) native
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25

test: lint types contracts unit

bench: native
	$(BIN)/python bench/core.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
	find vc_core -name '*.so' -delete
	rm -f vc_core/native-manifest.json
