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

# Every port, URL, database and bus name of a local copy derives from PORT_BASE, so a second copy
# runs beside the first: `make up PORT_BASE=9000` (gateway 9000, services 9001-9004, simulators
# 13111/13112, databases settle_<service>_9000, bus namespace settle9000). `make env PORT_BASE=9000`
# prints them. A variable already set in the environment wins over its derived value.
PORT_BASE ?= 8000
ifeq ($(shell [ "$(PORT_BASE)" -ge 1024 ] 2>/dev/null && [ "$(PORT_BASE)" -le 61000 ] 2>/dev/null && echo ok),)
$(error PORT_BASE must be a number from 1024 to 61000, not "$(PORT_BASE)")
endif
COPY := $(filter-out 8000,$(PORT_BASE))
DERIVED_PORTS := $(shell b=$(PORT_BASE); echo $$((b+1)) $$((b+2)) $$((b+3)) $$((b+4)) $$((b+4111)) $$((b+4112)))
GATEWAY_PORT ?= $(PORT_BASE)
BILLING_PORT ?= $(word 1,$(DERIVED_PORTS))
BOOKINGS_PORT ?= $(word 2,$(DERIVED_PORTS))
MESSAGING_PORT ?= $(word 3,$(DERIVED_PORTS))
NOTIFICATIONS_PORT ?= $(word 4,$(DERIVED_PORTS))
STRIPE_SIM_PORT ?= $(word 5,$(DERIVED_PORTS))
TWILIO_SIM_PORT ?= $(word 6,$(DERIVED_PORTS))
GATEWAY_URL ?= http://127.0.0.1:$(GATEWAY_PORT)
GATEWAY_BILLING_URL ?= http://127.0.0.1:$(BILLING_PORT)
GATEWAY_BOOKINGS_URL ?= http://127.0.0.1:$(BOOKINGS_PORT)
GATEWAY_MESSAGING_URL ?= http://127.0.0.1:$(MESSAGING_PORT)
GATEWAY_NOTIFICATIONS_URL ?= http://127.0.0.1:$(NOTIFICATIONS_PORT)
BOOKINGS_BILLING_URL ?= http://127.0.0.1:$(BILLING_PORT)
BILLING_MESSAGING_URL ?= http://127.0.0.1:$(MESSAGING_PORT)
MESSAGING_BILLING_URL ?= http://127.0.0.1:$(BILLING_PORT)
MESSAGING_PUBLIC_URL ?= $(GATEWAY_URL)
STRIPE_API_BASE ?= http://127.0.0.1:$(STRIPE_SIM_PORT)
STRIPE_SIM_PUBLIC_URL ?= http://127.0.0.1:$(STRIPE_SIM_PORT)
TWILIO_API_BASE ?= http://127.0.0.1:$(TWILIO_SIM_PORT)
BILLING_CONNECT_RETURN_URL ?= $(GATEWAY_URL)/payouts/onboarding/return
BILLING_CONNECT_REFRESH_URL ?= $(GATEWAY_URL)/payouts/onboarding/refresh
NOTIFICATIONS_PUBLIC_URL ?= $(GATEWAY_URL)
BILLING_PUBLIC_URL ?= $(GATEWAY_URL)
TWILIO_SIM_INBOUND_URL ?= $(GATEWAY_URL)/v1/webhooks/twilio/inbound
DATABASE_SERVER ?= postgresql+asyncpg://postgres@127.0.0.1:5432
BILLING_DATABASE_URL ?= $(DATABASE_SERVER)/settle_billing$(if $(COPY),_$(COPY))
BOOKINGS_DATABASE_URL ?= $(DATABASE_SERVER)/settle_bookings$(if $(COPY),_$(COPY))
MESSAGING_DATABASE_URL ?= $(DATABASE_SERVER)/settle_messaging$(if $(COPY),_$(COPY))
NOTIFICATIONS_DATABASE_URL ?= $(DATABASE_SERVER)/settle_notifications$(if $(COPY),_$(COPY))
BUS_NAMESPACE ?= settle$(COPY)
COPY_VARIABLES := GATEWAY_PORT BILLING_PORT BOOKINGS_PORT MESSAGING_PORT NOTIFICATIONS_PORT \
	STRIPE_SIM_PORT TWILIO_SIM_PORT GATEWAY_BILLING_URL GATEWAY_BOOKINGS_URL GATEWAY_MESSAGING_URL \
	GATEWAY_NOTIFICATIONS_URL BOOKINGS_BILLING_URL BILLING_MESSAGING_URL MESSAGING_BILLING_URL MESSAGING_PUBLIC_URL STRIPE_API_BASE STRIPE_SIM_PUBLIC_URL TWILIO_API_BASE \
	BILLING_CONNECT_RETURN_URL BILLING_CONNECT_REFRESH_URL NOTIFICATIONS_PUBLIC_URL BILLING_PUBLIC_URL TWILIO_SIM_INBOUND_URL \
	BILLING_DATABASE_URL BOOKINGS_DATABASE_URL \
	MESSAGING_DATABASE_URL NOTIFICATIONS_DATABASE_URL BUS_NAMESPACE
# Only the commands that run the platform get them (not `make test`: its platforms pick their own).
COPY_ENV = $(foreach name,$(COPY_VARIABLES),$(name)=$($(name)))
PLATFORM := $(RUN_DIR)/platform$(if $(COPY),-$(COPY))
UP_TIMEOUT ?= 90

export UV_PYTHON_DOWNLOADS := never
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install env migrate run up down test bench catalog clean

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock $(wildcard libs/*/pyproject.toml services/*/pyproject.toml simulators/*/pyproject.toml) | $(if $(shell command -v uv 2>/dev/null),,$(TOOLS)/bin/uv)
	$(UV) sync --frozen --all-packages
	@touch $@

install: $(VENV)/.synced

env:
	@$(foreach name,$(COPY_VARIABLES),echo 'export $(name)=$($(name))';)

migrate: install
	@for service in $(SERVICES); do env $(COPY_ENV) $(PY) -m $$service.migrate || exit 1; done

run: migrate
	env $(COPY_ENV) honcho -f deploy/local/Procfile start

# Returns once this copy's own processes are alive, listen on their ports and each answers its own
# /readyz; otherwise stops what it started, says why and fails (deploy/local/up.py).
up: install
	@env $(COPY_ENV) $(PY) deploy/local/up.py --pid-file $(PLATFORM).pid --log $(PLATFORM).log --timeout $(UP_TIMEOUT) \
		--migrate "$(MAKE) --no-print-directory migrate"

down:
	@if [ -f $(PLATFORM).pid ]; then \
		pid=$$(cat $(PLATFORM).pid); kill -TERM -- -$$pid 2>/dev/null || kill -TERM $$pid 2>/dev/null; \
		for i in $$(seq 1 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.2; done; \
		rm -f $(PLATFORM).pid; echo "Settle stopped"; \
	else echo "not running"; fi

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/bus.py
	$(PY) bench/webhooks.py
	$(PY) bench/ledger.py
	$(PY) bench/sms.py
	$(PY) bench/unlocks.py
	$(PY) bench/invoice_reminders.py
	$(PY) bench/stripe_sim.py

catalog: install
	$(PY) -m settle_contracts.catalog

clean: down
	rm -rf $(VENV) $(TOOLS) $(RUN_DIR)
