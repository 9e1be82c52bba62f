# 一网通 portal. `make run` serves the portal embedded; `make test` runs the whole suite.
# Both bootstrap a fresh machine: system packages (apt-get when root), the virtualenv, compiled messages.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_PASSWORD ?= demo1234
# Past registrations for the operations dashboard (topped up to this number; 0 for none).
DEMO_HISTORY ?= 600
# Run time needs Pango and a CJK font for PDFs, gettext for messages; tests also drive Chromium and read PDFs.
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk fonts-hanazono fonts-babelstone-han gettext
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils
# Tests keep their broker files and SQLite test database apart from the demo's.
TEST_VAR := $(CURDIR)/var/test

.PHONY: run test lint audit bench sysdeps-run sysdeps-test messages venv clean

run: sysdeps-run venv messages
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo --password "$(DEMO_PASSWORD)" --demo-enterprise --history $(DEMO_HISTORY)
	$(PY) manage.py runportal --port $(PORT) --demo-password "$(DEMO_PASSWORD)"

test: sysdeps-test venv messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	PORTAL_VAR_DIR=$(TEST_VAR) $(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	PORTAL_VAR_DIR=$(TEST_VAR) $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	PORTAL_VAR_DIR=$(TEST_VAR) $(VENV)/bin/mypy

# Known vulnerabilities in what production runs: the runtime dependencies alone, resolved and pinned in a clean
# virtualenv as the Dockerfile installs them, checked by pip-audit against PyPI's and OSV's advisories. Needs a
# network that reaches them (docs/security.md); not part of `make test` or .ci/run.
AUDIT_DIR := var/audit
audit: venv
	rm -rf $(AUDIT_DIR) && $(PYTHON) -m venv $(AUDIT_DIR)/venv
	$(AUDIT_DIR)/venv/bin/pip install --quiet .
	$(AUDIT_DIR)/venv/bin/pip freeze --exclude-editable | grep -vi '^yiwangtong' > $(AUDIT_DIR)/runtime-requirements.txt
	$(VENV)/bin/pip-audit --requirement $(AUDIT_DIR)/runtime-requirements.txt --no-deps --disable-pip --strict --desc on

bench: venv messages
	@./.ci/sysdeps wrk
	$(PY) -m bench

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found " + sys.version.split()[0] + "); set PYTHON=/path/to/python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var --ignore=node_modules -v0

sysdeps-run:
	@./.ci/sysdeps $(RUN_PACKAGES)

sysdeps-test:
	@./.ci/sysdeps $(TEST_PACKAGES)

clean:
	rm -rf var $(VENV)
