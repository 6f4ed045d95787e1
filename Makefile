# Two commands matter: `make run` (the app on demo data) and `make test` (everything CI runs).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test data lint lock bench bench-interactive install install-dev browser clean-data

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==26.3  # pinned too: the installer is part of the supply chain

# Installs come from the lock files: every package, transitive ones too, pinned with its hashes
# (requirements*.txt say what we ask for; `make lock` turns them into the locks).
$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	touch $@

lock:  ## re-pin every dependency with hashes from requirements*.txt (needs network to PyPI)
	$(BIN)/pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile requirements.txt --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o requirements.lock
	$(BIN)/uv pip compile requirements-dev.txt --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o requirements-dev.lock

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

data: install  ## build the Parquet data (idempotent: does nothing if inputs are unchanged)
	$(BIN)/python -m lib.build

run: data  ## serve the app on http://localhost:$(PORT)
	$(BIN)/streamlit run serve.py --server.port $(PORT)  # the pages (app.py, pages/) + data URLs (lib/data_api.py)

browser:  ## Debian packages for the tests: chromium (browser tests, image export), nginx (scale-out test)
	@bash scripts/ensure_system_packages.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .  # one layout for everyone: run `ruff format .` before committing

test: install-dev browser lint  ## ruff, then the whole pytest suite (browser tests included)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest  # small statsmodels fits: BLAS threads only add contention

bench: install-dev data
	$(BIN)/python -m bench.run

bench-interactive: install-dev data browser  ## page reruns, map payload and map first draw on the demo data
	$(BIN)/python -m bench.interactive

clean-data:
	rm -rf data/built
