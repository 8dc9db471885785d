# 督办台账 — the two commands a newcomer needs:
#   make run    install, migrate, seed the 2017 Anyang report, start web + worker + beat
#   make test   install and run every test (unit, PostgreSQL/Redis/SMTP integration, browser)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_AS_OF ?= 2017-09-30
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup install install-test system-deps redis db compilemessages bench bench-pg lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian packages: gettext (compilemessages), redis-server, and for browser tests chromium
# with CJK fonts. Installed only when missing; needs root or sudo.
system-deps:
	@bash scripts/system-deps.sh $(if $(filter test,$(MAKECMDGOALS)),--test,)

redis:
	@bash scripts/ensure-redis.sh

compilemessages: install
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

db: install compilemessages
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_report
	$(BIN)/python manage.py setup_schedules
	$(BIN)/python manage.py demo_data --as-of $(DEMO_AS_OF)
	LEDGER_TODAY=$(DEMO_AS_OF) $(BIN)/python manage.py refresh_status

run: system-deps install redis db
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@echo ""
	@echo "督办台账 on http://127.0.0.1:$(PORT)/ — the ledger's today is $(DEMO_AS_OF); demo users and passwords are printed above"
	@echo ""
	LEDGER_TODAY=$(DEMO_AS_OF) PORT=$(PORT) $(BIN)/honcho start -f Procfile.dev

test: system-deps install-test redis compilemessages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python tests/bench/bench_parse.py
	$(BIN)/python tests/bench/bench_seed.py
	$(BIN)/python tests/bench/bench_web.py
	$(BIN)/python tests/bench/bench_jobs.py

# The same pages on PostgreSQL, and the load test (gunicorn + PostgreSQL on loopback); both
# build their databases (bench_web_1x, bench_load_1x) on the local server the first time.
bench-pg: install-test
	$(BIN)/python tests/bench/bench_web.py --database-url postgres
	$(BIN)/python tests/bench/bench_load.py

# Lint: ruff (rules and formatting), mypy with django-stubs (the parser strict), and the
# import contracts (imports run one way, no cycles). CI runs it before the tests.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var
