# Developer tasks for wagtail-communityblog. `make help` lists them.
#
# Everything runs in a virtualenv (.venv) that the targets create and keep up to date: it is
# (re)installed when missing or when pyproject.toml is newer than the last install.
#
# Variables you can override: PYTHON (interpreter for new venvs, 3.11+), VENV, ARGS (extra
# pytest arguments), ADDR (runserver address), OLDEST_WAGTAIL, OLDEST_DJANGO, NEWEST_PYTHON,
# NEWEST_DJANGO, NEWEST_WAGTAIL.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
VENV_OLDEST ?= .venv-oldest
OLDEST_WAGTAIL ?= 7.0.*
OLDEST_DJANGO ?= 5.2.*
# The newest corner of the support matrix: Django 6.0 needs Python 3.12+. The newest pyenv
# Python 3.12/3.13 on the machine, else one on PATH.
VENV_NEWEST ?= .venv-newest
NEWEST_PYTHON ?= $(or $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.1[23]*/bin/python3))),$(shell command -v python3.13 || command -v python3.12))
NEWEST_DJANGO ?= 6.0.*
NEWEST_WAGTAIL ?= 8.*
EXTRAS ?= test,example
ADDR ?= 127.0.0.1:8000
ARGS ?=

PIP_FLAGS := --quiet --disable-pip-version-check
comma := ,
VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
DOCS_STAMP := $(VENV)/.installed-docs
BENCH_STAMP := $(VENV)/.installed-bench-$(subst $(comma),-,$(EXTRAS))
OLDEST_PY := $(VENV_OLDEST)/bin/python
OLDEST_STAMP := $(VENV_OLDEST)/.installed-$(subst $(comma),-,$(EXTRAS))
NEWEST_PY := $(VENV_NEWEST)/bin/python
NEWEST_STAMP := $(VENV_NEWEST)/.installed-$(subst $(comma),-,$(EXTRAS))
MANAGE := $(VENV_PY) example_site/manage.py
BROWSER_NODE := tests/browser/node_modules/.package-lock.json

.PHONY: help install run run-second stack test test-sqlite test-postgres test-oldest test-newest test-outsider test-browser screenshots \
	lint format messages migrations-check docs bench-votes bench-community bench-scale bench-sanitize bench-load clean distclean reset-db

help: ## Show this help
	@echo "wagtail-communityblog: make TARGET"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'
	@echo
	@echo 'Extra pytest arguments: make test ARGS="-k feeds -x"'

# --- virtualenvs --------------------------------------------------------------------------

define check_python
@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; $(PYTHON) is " + sys.version.split()[0] + ". Try: make PYTHON=python3.12 ...")' \
	|| { echo "$(PYTHON) not usable: set PYTHON to a Python 3.11+ interpreter" >&2; exit 1; }
endef

$(VENV_PY):
	$(check_python)
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV_PY)
	@echo "Installing -e .[$(EXTRAS)] into $(VENV) ..."
	$(VENV_PY) -m pip install $(PIP_FLAGS) -e ".[$(EXTRAS)]"
	@touch $@

# The benchmarks' own extra (a WSGI server for the vote path over HTTP) on top of the dev install.
$(BENCH_STAMP): pyproject.toml | $(VENV_PY)
	$(VENV_PY) -m pip install $(PIP_FLAGS) -e ".[$(EXTRAS),bench]"
	@touch $@

$(DOCS_STAMP): pyproject.toml | $(VENV_PY)
	$(VENV_PY) -m pip install $(PIP_FLAGS) -e ".[docs]"
	@touch $@

$(OLDEST_PY):
	$(check_python)
	$(PYTHON) -m venv $(VENV_OLDEST)

$(OLDEST_STAMP): pyproject.toml Makefile | $(OLDEST_PY)
	@echo "Installing -e .[$(EXTRAS)] with wagtail==$(OLDEST_WAGTAIL) into $(VENV_OLDEST) ..."
	$(OLDEST_PY) -m pip install $(PIP_FLAGS) -e ".[$(EXTRAS)]" "wagtail==$(OLDEST_WAGTAIL)" "Django==$(OLDEST_DJANGO)"
	@touch $@

$(NEWEST_PY):
	@test -n "$(NEWEST_PYTHON)" || { echo "No Python 3.12+ found for Django 6.0: set NEWEST_PYTHON" >&2; exit 1; }
	$(NEWEST_PYTHON) -m venv $(VENV_NEWEST)

$(NEWEST_STAMP): pyproject.toml Makefile | $(NEWEST_PY)
	@echo "Installing -e .[$(EXTRAS)] with Django==$(NEWEST_DJANGO), wagtail==$(NEWEST_WAGTAIL) into $(VENV_NEWEST) ..."
	$(NEWEST_PY) -m pip install $(PIP_FLAGS) -e ".[$(EXTRAS)]" "wagtail==$(NEWEST_WAGTAIL)" "Django==$(NEWEST_DJANGO)"
	@touch $@

install: $(STAMP) ## Create .venv and install the package with its test and example extras

# axe-core and the Nu Html Checker for the browser tests, pinned by tests/browser/package-lock.json.
# --ignore-scripts: vnu-jar's install script would download a Java runtime; the system's is used.
$(BROWSER_NODE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		echo "npm ci in tests/browser (axe-core, vnu-jar) ..."; \
		npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the browser tests need Node.js and npm"; \
	fi

# --- the example site ---------------------------------------------------------------------

run: $(STAMP) ## Migrate, seed demo content and serve the example site on http://127.0.0.1:8000/
	$(MANAGE) migrate --noinput
	$(MANAGE) communityblog_demo
	$(MANAGE) runserver $(ADDR)

run-second: $(STAMP) ## A second example site on http://127.0.0.1:8001/ (its own database) to federate with the first (make run)
	DJANGO_SETTINGS_MODULE=example.settings.second_site $(MANAGE) migrate --noinput
	DJANGO_SETTINGS_MODULE=example.settings.second_site $(MANAGE) communityblog_demo
	DJANGO_SETTINGS_MODULE=example.settings.second_site $(MANAGE) runserver 127.0.0.1:8001

stack: $(BENCH_STAMP) ## The production shape on loopback: PostgreSQL, Redis, 2 gunicorn app servers, Varnish, the task worker and the scheduler (Ctrl-C stops it)
	$(VENV_PY) scripts/stack.py $(ARGS)

reset-db: ## Delete the example site's SQLite database (make run recreates it)
	rm -f example_site/db.sqlite3

# --- checks -------------------------------------------------------------------------------

test: $(STAMP) $(BROWSER_NODE) ## Run the tests on SQLite, then PostgreSQL, then in Chromium (each if installed)
	TEST_PYTHON="$(abspath $(VENV_PY))" bash scripts/run_tests.sh $(ARGS)

test-sqlite: $(STAMP) ## Run the tests on SQLite only
	TEST_PYTHON="$(abspath $(VENV_PY))" TEST_BACKENDS=sqlite bash scripts/run_tests.sh $(ARGS)

test-postgres: $(STAMP) ## Run the tests on a throwaway PostgreSQL cluster only
	TEST_PYTHON="$(abspath $(VENV_PY))" TEST_BACKENDS=postgres REQUIRE_POSTGRES=1 \
		bash scripts/run_tests.sh $(ARGS)

test-browser: $(STAMP) $(BROWSER_NODE) ## Run only the browser tests (Playwright, Chromium, axe-core, Nu Html Checker)
	TEST_PYTHON="$(abspath $(VENV_PY))" TEST_BACKENDS=browser bash scripts/run_tests.sh $(ARGS)

screenshots: $(STAMP) $(BROWSER_NODE) ## Retake the screenshots in docs/images/ (the browser tests, saving them)
	TEST_PYTHON="$(abspath $(VENV_PY))" TEST_BACKENDS=browser REQUIRE_BROWSER=1 \
		bash scripts/run_tests.sh tests/browser/test_demo_site.py --screenshots-dir=docs/images $(ARGS)

test-oldest: $(OLDEST_STAMP) ## Run the tests on SQLite on the oldest supported corner: Python 3.11, Django 5.2, Wagtail 7.0 (.venv-oldest)
	@$(OLDEST_PY) -c 'import django, wagtail; print(f"Wagtail {wagtail.__version__}, Django {django.__version__}")'
	TEST_PYTHON="$(abspath $(OLDEST_PY))" TEST_BACKENDS=sqlite bash scripts/run_tests.sh $(ARGS)

test-newest: $(NEWEST_STAMP) ## Run the tests on SQLite on the newest corner: Python 3.12+, Django 6.0, Wagtail 8 (.venv-newest)
	@$(NEWEST_PY) -c 'import sys, django, wagtail; print(f"Python {sys.version.split()[0]}, Wagtail {wagtail.__version__}, Django {django.__version__}")'
	TEST_PYTHON="$(abspath $(NEWEST_PY))" TEST_BACKENDS=sqlite bash scripts/run_tests.sh $(ARGS)

test-outsider: $(STAMP) $(BROWSER_NODE) ## Build the sdist and wheel, install the wheel in a new `wagtail start` site (oldest and newest corners), follow the tutorial, drive it in Chromium (~10 min)
	@rc=0; \
	$(VENV_PY) scripts/outsider_site.py --corner oldest $(ARGS) || rc=1; \
	$(VENV_PY) scripts/outsider_site.py --corner newest $(ARGS) || rc=1; \
	exit $$rc

lint: $(STAMP) ## ruff check, ruff format --check, and the import-layer contracts (lint-imports)
	@rc=0; \
	echo "ruff check ."; $(VENV)/bin/ruff check . || rc=1; \
	echo "ruff format --check ."; $(VENV)/bin/ruff format --check . || rc=1; \
	echo "lint-imports (docs/explanation/architecture.md#layers)"; $(VENV)/bin/lint-imports || rc=1; \
	exit $$rc

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(STAMP) ## Remake the translation catalogue template (wagtail_communityblog/locale/django.pot) with makemessages
	cd wagtail_communityblog && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH="$(CURDIR):$(CURDIR)/example_site" \
		$(abspath $(VENV_PY)) -m django makemessages -l en --keep-pot -e html,txt,py --no-location --verbosity 0 && rm -rf locale/en

migrations-check: $(STAMP) ## Fail if the models have changes without a migration
	$(MANAGE) makemigrations --check --dry-run

bench-votes: $(BENCH_STAMP) ## Vote-path benchmark on PostgreSQL and SQLite (~4 min; not part of make test)
	$(VENV_PY) benchmarks/vote_path.py $(ARGS)

bench-community: $(STAMP) ## Community-health simulation: vote rings, front-page quality, discovery (~5 min on 2 idle cores)
	$(VENV_PY) benchmarks/community/run.py $(ARGS)

bench-sanitize: $(STAMP) ## Sanitiser cost on ordinary and hostile post and comment bodies (~1 min)
	$(VENV_PY) benchmarks/sanitize.py $(ARGS)

bench-load: $(BENCH_STAMP) ## The whole site under load: Locust through make stack's shape, with faults (~15 min)
	$(VENV_PY) benchmarks/load.py $(ARGS)

bench-scale: $(BENCH_STAMP) ## Scale benchmark: 10k/100k posts, 1M votes, front page, listings, votes vs peers (~30 min)
	$(VENV_PY) benchmarks/scale.py $(ARGS)

docs: $(DOCS_STAMP) ## Build the documentation (mkdocs build --strict) into site/
	$(VENV)/bin/mkdocs build --strict

# --- housekeeping -------------------------------------------------------------------------

clean: ## Remove caches and build output (keeps the venvs and the example database)
	rm -rf build dist site .pytest_cache .ruff_cache *.egg-info
	find . -path ./$(VENV) -prune -o -path ./$(VENV_OLDEST) -prune -o -path ./$(VENV_NEWEST) -prune -o \
		-name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## Also remove the virtualenvs
	rm -rf $(VENV) $(VENV_OLDEST) $(VENV_NEWEST)
