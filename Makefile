# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup demo test dev lint bench chromium manifest clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) (log: $(VENV)/pip.log)"
	$(BIN)/pip install --disable-pip-version-check --upgrade pip > $(VENV)/pip.log 2>&1 \
	  && $(BIN)/pip install --disable-pip-version-check -e '.[dev]' >> $(VENV)/pip.log 2>&1 \
	  || { grep -v "is ignored" $(VENV)/pip.log | tail -30; exit 1; }
	$(BIN)/python -c "import dagster, dagster_dbt, supplier_pipeline"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The JavaScript demo shop needs a real browser: Debian's Chromium, driven by Playwright.
chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# dagster-dbt reads the dbt manifest when the code location loads; it is built, never committed.
manifest: $(STAMP)
	cd dbt_project && ../$(BIN)/dbt parse --quiet

setup: $(STAMP) chromium manifest

demo: setup
	$(BIN)/python -m supplier_pipeline.demo.run

test: setup
	$(BIN)/pytest -q

dev: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m supplier_pipeline.demo.dev

lint: $(STAMP)
	$(BIN)/ruff check supplier_pipeline tests bench

bench: setup
	$(BIN)/python -m bench.load_time

clean:
	rm -rf .data .dagster_home dbt_project/target dbt_project/logs
