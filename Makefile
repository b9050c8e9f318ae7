# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: setup demo test dev serve lint bench system-packages manifest lock clean

# requirements.lock pins every package (the image installs the same set): `make lock` renews it.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) (log: $(VENV)/pip.log)"
	$(BIN)/pip install --disable-pip-version-check --upgrade pip > $(VENV)/pip.log 2>&1 \
	  && $(BIN)/pip install --disable-pip-version-check -c requirements.lock -e '.[dev]' \
	     >> $(VENV)/pip.log 2>&1 \
	  || { grep -v "is ignored" $(VENV)/pip.log | tail -30; exit 1; }
	$(BIN)/python -c "import dagster, dagster_dbt, supplier_pipeline"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The JavaScript demo shop needs a real browser: Debian's Chromium, driven by Playwright. The
# deployment test puts the shipped Caddyfile (the UI's login) in front of the webserver.
system-packages:
	@command -v chromium >/dev/null && command -v caddy >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium caddy >/dev/null; }

# dagster-dbt reads the dbt manifest when the code location loads; it is built, never committed.
manifest: $(STAMP)
	cd dbt_project && ../$(BIN)/dbt parse --quiet

setup: $(STAMP) system-packages manifest

demo: setup
	$(BIN)/python -m supplier_pipeline.demo.run

test: setup
	$(BIN)/pytest -q

dev: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m supplier_pipeline.demo.dev

# The deployment on this machine, from the same files as docker-compose (README, "Deploy").
serve: setup
	SUPPLIER_PIPELINE_BIN=$(CURDIR)/$(BIN) deploy/serve.sh all

lock: $(STAMP)
	{ head -n 2 requirements.lock; $(BIN)/pip freeze --exclude-editable \
	  --disable-pip-version-check; } > requirements.lock.new && mv requirements.lock.new requirements.lock

lint: $(STAMP)
	$(BIN)/ruff check supplier_pipeline tests bench

bench: setup
	$(BIN)/python -m bench.load_time

clean:
	rm -rf .data .dagster_home dbt_project/target dbt_project/logs
