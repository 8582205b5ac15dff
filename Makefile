# Hakusan — two commands for a fresh machine:
#   make demo   install everything, migrate a SQLite database, load fictional demo data, serve
#   make test   install everything (browser included), lint, type-check, run the whole suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Django 6 needs Python >= 3.12: take 3.12 (what CI and the lock were tested on), else 3.13.
PYTHON_BOOT ?= $(shell for p in python3.12 python3.13 /root/.pyenv/versions/3.12.1/bin/python3 /root/.pyenv/versions/3.13.0/bin/python3 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
HAKUSAN := $(VENV)/bin/hakusan
STAMP := $(VENV)/.installed
export HAKUSAN_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install demo test lint typecheck pytest pytest-pg browser messages bench bench-fuzz clean pdf-libs test-data

help:
	@echo "make demo   - install and start Hakusan on SQLite with demo data (http://$(HOST):$(PORT))"
	@echo "make test   - install and run ruff, mypy and the whole test suite"

$(PY):
	@test -n "$(PYTHON_BOOT)" || { echo "Python >= 3.12 is required (Django 6)"; exit 1; }
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# npm ci installs exactly the versions pinned in frontend/package-lock.json and checks each
# tarball against the lock's sha512 "integrity", failing on a mismatch: this is how the offline
# IP data (@ip-location-db/asn and geo-whois-asn-country) is fetched at a pinned version.
$(STAMP): $(PY) requirements/lock.txt pyproject.toml frontend/package.json frontend/package-lock.json
	$(PY) -m pip install --quiet -r requirements/lock.txt
	$(PY) -m pip install --quiet --no-deps -e .
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

# gettext's msgfmt compiles the Japanese/English catalogues; Debian package if missing.
messages: $(STAMP)
	@command -v msgfmt >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq gettext >/dev/null; } \
		|| { echo "please install gettext (msgfmt)"; exit 1; }
	cd src/hakusan && ../../$(HAKUSAN) compilemessages --ignore='.venv' -v 0

# WeasyPrint (attribution reports as PDF) needs Debian's pango and a Japanese font.
pdf-libs:
	@{ ldconfig -p | grep -q libpangoft2-1.0 && fc-list :lang=ja | grep -q . ; } || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk poppler-utils >/dev/null; } \
		|| { echo "please install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk (PDF reports)"; exit 1; }

install: $(STAMP) messages pdf-libs

# Real MISP OSINT events for the import tests: the tests/ folder of PyMISP's source
# distribution (not in the wheel), fetched at the pinned version and checked by sha256.
PYMISP_SDIST := .cache/pymisp-2.5.34.4.tar.gz
PYMISP_SDIST_SHA256 := 0e5563d4fb1d5850f808c4e53d0ea8cd4e2c7877453034d966e7b2b70c32cdd9
.cache/pymisp-sdist/tests: | $(STAMP)
	mkdir -p .cache/pymisp-sdist
	$(PY) -m pip download --quiet --no-binary :all: --no-deps pymisp==2.5.34.4 -d .cache
	echo "$(PYMISP_SDIST_SHA256)  $(PYMISP_SDIST)" | sha256sum -c --quiet -
	tar xzf $(PYMISP_SDIST) -C .cache/pymisp-sdist --strip-components=1 pymisp-2.5.34.4/tests
test-data: .cache/pymisp-sdist/tests

# Debian's chromium drives the end-to-end tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| { echo "please install Debian's chromium for the browser tests"; exit 1; }

demo: install
	$(HAKUSAN) demo --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: install
	$(VENV)/bin/mypy src/hakusan/domain src/hakusan/core \
		$(filter-out src/hakusan/core/services.py,$(wildcard src/hakusan/*/services.py))

pytest: install browser test-data
	$(VENV)/bin/pytest

# The same suite on PostgreSQL when HAKUSAN_TEST_PG is set (CI sets it).
pytest-pg: install browser test-data
	@if [ -n "$$HAKUSAN_TEST_PG" ]; then \
		HAKUSAN_TEST_DATABASE_URL=$${HAKUSAN_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/hakusan} \
		$(VENV)/bin/pytest -m "not e2e"; \
	else echo "HAKUSAN_TEST_PG not set: PostgreSQL run skipped"; fi

test: lint typecheck pytest pytest-pg

bench: install
	$(PY) bench/intake.py

# Every fuzz target of tests/fuzz on a million hostile inputs (INPUTS=...), beside json.loads.
INPUTS ?= 1000000
FUZZ_TARGET_SECONDS ?= 40
bench-fuzz: install
	$(PY) bench/fuzz.py --inputs $(INPUTS) --target-seconds $(FUZZ_TARGET_SECONDS)

clean:
	rm -rf $(VENV) frontend/node_modules var
