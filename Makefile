# Settle: `make run` starts the platform in the foreground, `make test` runs every test.
# Needs only python3 (3.11+), a PostgreSQL and a RabbitMQ (see README); everything else installs itself.

SHELL := /bin/bash
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := billing bookings messaging notifications
RUN_DIR := .run
GATEWAY_URL ?= http://127.0.0.1:$(or $(GATEWAY_PORT),8000)

export UV_PYTHON_DOWNLOADS := never
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install migrate run up down test bench catalog clean

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock $(wildcard libs/*/pyproject.toml services/*/pyproject.toml simulators/*/pyproject.toml) | $(if $(shell command -v uv 2>/dev/null),,$(TOOLS)/bin/uv)
	$(UV) sync --frozen --all-packages
	@touch $@

install: $(VENV)/.synced

migrate: install
	@for service in $(SERVICES); do $(PY) -m $$service.migrate || exit 1; done

run: migrate
	honcho -f deploy/local/Procfile start

up: migrate
	@mkdir -p $(RUN_DIR)
	@if [ -f $(RUN_DIR)/platform.pid ] && kill -0 $$(cat $(RUN_DIR)/platform.pid) 2>/dev/null; then \
		echo "already running (pid $$(cat $(RUN_DIR)/platform.pid))"; exit 0; fi
	setsid honcho -f deploy/local/Procfile start > $(RUN_DIR)/platform.log 2>&1 < /dev/null & echo $$! > $(RUN_DIR)/platform.pid
	@$(PY) deploy/local/wait_ready.py $(GATEWAY_URL)/readyz 90 || (tail -n 40 $(RUN_DIR)/platform.log; $(MAKE) --no-print-directory down; exit 1)
	@echo "Settle is up at $(GATEWAY_URL) (logs: $(RUN_DIR)/platform.log, stop: make down)"

down:
	@if [ -f $(RUN_DIR)/platform.pid ]; then \
		pid=$$(cat $(RUN_DIR)/platform.pid); kill -TERM -- -$$pid 2>/dev/null || kill -TERM $$pid 2>/dev/null; \
		for i in $$(seq 1 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.2; done; \
		rm -f $(RUN_DIR)/platform.pid; echo "Settle stopped"; \
	else echo "not running"; fi

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/bus.py
	$(PY) bench/webhooks.py
	$(PY) bench/ledger.py
	$(PY) bench/stripe_sim.py

catalog: install
	$(PY) -m settle_contracts.catalog

clean: down
	rm -rf $(VENV) $(TOOLS) $(RUN_DIR)
