# Sanggar — `make run` serves on http://127.0.0.1:8000, `make test` checks everything.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/sanggar_test

.PHONY: install run demo dev fmt lint typecheck test test-sqlite test-postgres migrate revision openapi bench bench-quick bench-versus check messages

# The translations (app/i18n): each committed .po compiled to the .mo the app reads.
CATALOGUES := $(wildcard app/i18n/locales/*/LC_MESSAGES/messages.po)

install: $(STAMP) $(CATALOGUES:.po=.mo)

app/i18n/locales/%/LC_MESSAGES/messages.mo: app/i18n/locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -D messages -d app/i18n/locales -l $*

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install migrate
	$(BIN)/sanggar serve

# A demo community to look around in (once per database; a second run adds nothing).
demo: install migrate
	$(BIN)/sanggar seed-demo

dev: install migrate
	$(BIN)/sanggar serve --reload

migrate: install
	$(BIN)/sanggar migrate

revision: install
	$(BIN)/alembic revision --autogenerate -m "$(m)"

openapi: install
	$(BIN)/sanggar openapi

# After adding or changing texts: extract them (babel.cfg) and merge them into every
# catalogue; then translate the new entries in each .po (docs/i18n.md).
messages: install
	@mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d app/i18n/locales -D messages \
		--no-fuzzy-matching --ignore-obsolete --no-wrap

fmt: install
	$(BIN)/ruff format app tests alembic bench clients/python
	$(BIN)/ruff check --fix app tests alembic bench clients/python

lint: install
	$(BIN)/ruff format --check app tests alembic bench clients/python
	$(BIN)/ruff check app tests alembic bench clients/python

typecheck: install
	$(BIN)/mypy app tests bench

# SQLite always; PostgreSQL when it answers, and always under CI=true (failing if it cannot).
test: lint typecheck test-sqlite
	@if [ "$$CI" = "true" ] || $(BIN)/python -m tests.pg_available "$(PG_TEST_URL)"; then \
		$(MAKE) --no-print-directory test-postgres; \
	else \
		echo "PostgreSQL not reachable: skipped the PostgreSQL leg (CI=true makes it mandatory)."; \
	fi

test-sqlite: install
	$(BIN)/pytest

test-postgres: install
	SANGGAR_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest

bench: install
	@command -v wrk >/dev/null || apt-get install -y -qq wrk || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
	$(BIN)/python -m bench.run

# Sanggar against a template-style app and the constant-JSON ceiling, in the same rounds,
# with the worker's resident memory; replaces its section of bench/REPORT.md (bench/versus.py).
bench-versus: install
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
	$(BIN)/python -m bench.versus

# A trial run: small data set, one round, one-second runs; prints the report, writes nothing.
bench-quick: install
	BENCH_QUICK=1 $(BIN)/python -m bench.run

check: lint typecheck test
