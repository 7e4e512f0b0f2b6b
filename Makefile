# Parley: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ADDR ?= 127.0.0.1:8000

.PHONY: run test test-rq redis lint system-deps bench-small messages

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

# The suite runs in one process per CPU (pytest-xdist); TEST_PROCESSES=0 runs it in this one.
# PYTEST_ARGS narrows it (e.g. "-m 'not browser'"); the 25 slowest tests are listed at the end.
TEST_PROCESSES ?= auto
PYTEST_ARGS ?=
test: $(VENV)/.dev system-deps
	$(BIN)/pytest -n $(TEST_PROCESSES) --durations=25 $(PYTEST_ARGS)

# The worker tests with the Redis/RQ task backend (PARLEY_TASKS_BACKEND=rq), one process per
# CPU. Each uses a database of its own of the Redis at PARLEY_REDIS_URL (default
# 127.0.0.1:6379): 15, 14, …; or PARLEY_TEST_REDIS_URL (then run them with TEST_PROCESSES=0).
RQ_TESTS := tests/ops/test_worker.py tests/ops/test_tasks_backend.py tests/ops/test_schedule.py tests/outbox
test-rq: $(VENV)/.dev redis
	PARLEY_TASKS_BACKEND=rq $(BIN)/pytest -n $(TEST_PROCESSES) $(RQ_TESTS)

# A Redis on 127.0.0.1:6379 (unless PARLEY_REDIS_URL names one): started in memory only
# when none answers, installed with apt when missing (needs root or sudo).
redis:
	@[ -z "$$PARLEY_REDIS_URL" ] || exit 0; \
	ping() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }; \
	ping && exit 0; \
	if ! command -v redis-server >/dev/null 2>&1; then \
	  echo "Installing: redis-server"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null; \
	  ping && exit 0; \
	fi; \
	echo "Starting redis-server on 127.0.0.1:6379"; \
	redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null; \
	for i in 1 2 3 4 5 6 7 8 9 10; do ping && exit 0; sleep 0.5; done; \
	echo "redis-server does not answer on 127.0.0.1:6379" >&2; exit 1

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
