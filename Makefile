# gqtrack: `make run` serves the app with demo data, `make test` runs every test.
# Both set everything up first on a fresh machine (Python 3.11+, make, npm).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=
UNITS ?= 10000
BACKUP ?=
FORCE ?=
UNIONS ?= 3000
USERS ?= 20
SECONDS ?= 60

.PHONY: run test bench backup restore loadtest setup install assets messages migrate demo lint security format migrations-check i18n-check ci clean

# The background worker (big imports and exports, e-mails, group robots) and the scheduler
# of the daily jobs (reminders, pruning: settings.SCHEDULE) run beside runserver and stop
# with it.
run: setup
	$(PY) manage.py loaddemo --if-empty
	$(PY) manage.py prune_spreadsheet_jobs
	$(PY) manage.py db_worker --no-reload --no-startup-delay & worker=$$!; \
	$(PY) manage.py run_schedule & schedule=$$!; \
	trap 'kill $$worker $$schedule 2>/dev/null; wait $$worker $$schedule' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST)

test: setup $(STAMPS)/dev
	./scripts/ensure-chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# Builds a synthetic province in a throw-away database (UNITS=100000 for the big one;
# DATABASE_URL picks SQLite or PostgreSQL) and prints one JSON line per measurement:
# the dashboards at UNITS, then spreadsheets (always 10,000 units: 200,000+ entries).
bench: setup
	$(PY) -m bench.dashboards --units $(UNITS)
	$(PY) -m bench.spreadsheets

# The database and the uploaded files, with a manifest of row counts and checksums
# (docs/deployment.md#backups): into backups/gqtrack-<date>.tar.gz, or the new folder or
# .tar.gz that BACKUP names. Safe while the app runs; DATABASE_URL picks the database.
backup: install
	$(PY) manage.py backup "$(or $(BACKUP),backups/gqtrack-$(shell date +%Y%m%d-%H%M%S).tar.gz)"

# BACKUP (a folder or .tar.gz) into an empty database and MEDIA_ROOT, checked against its
# manifest first, then migrated. FORCE=1 replaces data already there. Stop the server and
# the worker first, start them after.
restore: install
	@test -n "$(BACKUP)" || { echo "Name the backup to restore: make restore BACKUP=path"; exit 2; }
	$(PY) manage.py restore $(if $(FORCE),--force) "$(BACKUP)"
	$(PY) manage.py migrate --no-input

# Serves the app with gunicorn over a throw-away PostgreSQL database (created, filled with
# the demo data grown by UNIONS unions with a staff user each, dropped at the end), lets
# USERS simulated staff read tasks and post progress for SECONDS, and prints one JSON
# line: rps, p50_ms, p99_ms, errors, written, expected (bench/loadtest.py). Not in CI.
# It migrates its own database, so it needs everything `setup` does but `migrate`.
loadtest: install assets messages $(STAMPS)/dev
	DATABASE_URL="$(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/gqtrack_loadtest)" \
	$(PY) -m bench.loadtest --unions $(UNIONS) --users $(USERS) --seconds $(SECONDS)

setup: install assets messages migrate

install: $(STAMPS)/venv

$(STAMPS)/venv: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	mkdir -p $(STAMPS) && touch $@

$(STAMPS)/dev: requirements-dev.txt $(STAMPS)/venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

assets: $(STAMPS)/assets

$(STAMPS)/assets: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(STAMPS) && touch $@

messages: install
	@command -v msgfmt >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

migrate: install
	$(PY) manage.py migrate --no-input -v 0

demo: setup
	$(PY) manage.py loaddemo

# ruff, then the import contracts of pyproject.toml: the layers of each app, directives
# never importing reports, no app importing gqtrack, no import cycle (docs/architecture.md);
# then bandit (`make security`).
lint: $(STAMPS)/dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(MAKE) --no-print-directory security

# bandit over the code (not tests, migrations or the environment; see pyproject.toml): any
# finding of medium or high severity fails, unless a `# nosec BXXX` says why it is safe.
# bandit 1.9 also warns "nosec encountered … but no failed test" for the other parts of an
# f-string whose finding a nosec skipped (PyCQA/bandit#1204): those lines are dropped.
security: SHELL := /bin/bash
security: .SHELLFLAGS := -o pipefail -c
security: $(STAMPS)/dev
	$(VENV)/bin/bandit -c pyproject.toml -r . --quiet --severity-level medium 2>&1 \
		| sed '/nosec encountered/d'

format: $(STAMPS)/dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# Every msgid in the code has a Chinese translation, none fuzzy.
i18n-check: $(STAMPS)/dev
	$(PY) manage.py makemessages -l zh_Hans --no-location --no-obsolete --ignore=.venv --ignore=node_modules -v 0
	$(PY) scripts/check-translations locale/zh_Hans/LC_MESSAGES/django.po

ci: test lint migrations-check i18n-check

clean:
	rm -rf $(VENV) node_modules $(STAMPS) staticfiles
