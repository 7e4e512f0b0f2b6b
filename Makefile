# Parley: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ADDR ?= 127.0.0.1:8000

.PHONY: run test lint system-deps bench-small messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/parley run $(ADDR)

# What the tests need from the system: Chromium (browser tests) and Dovecot (a real IMAP
# server). Installed with apt when missing; needs root or sudo.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v dovecot >/dev/null 2>&1 || missing="$$missing dovecot-imapd"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(VENV)/.dev system-deps
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy parley

# Rebuild the translation catalogues (needs GNU gettext) after changing strings.
messages: $(VENV)/.dev
	@command -v msgfmt >/dev/null 2>&1 || { \
	  echo "Installing: gettext"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq gettext >/dev/null; \
	}
	mkdir -p parley/locale
	cd parley && ../$(BIN)/django-admin makemessages -l de -l fi --no-obsolete --ignore "migrations/*"
	cd parley && ../$(BIN)/django-admin compilemessages
