# The two commands of the README:
#   make run    set up and serve the demo on the embedded default (SQLite, eager tasks, sample data);
#               PORT=8765 moves the site and its sample feeds to another port
#   make test   set up and pass the test suite (PostgreSQL, Redis, Chromium on this machine)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/tracker
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run setup test test-postgres test-smoke services bench eval lint lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs exactly what requirements.lock pins; re-runs only when it changes.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

setup: $(VENV)/.installed

# The sample feeds are served by the demo's own server, so they move with it.
PORT ?= 8000
DEMO_ENV = FEED_ALLOW_PRIVATE_HOSTS=1 SAMPLE_FEEDS_BASE_URL=http://127.0.0.1:$(PORT)/sample-feeds/ \
	SITE_URL=http://127.0.0.1:$(PORT)

run: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py ensure_demo_users
	$(DEMO_ENV) $(BIN)/python manage.py load_sample
	$(BIN)/python manage.py queue_silences --all
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# PostgreSQL, Redis and Chromium are real parts of the suite: start or install them.
services:
	./scripts/ensure-services

test: setup services test-postgres test-smoke

test-postgres:
	DATABASE_URL=$(PG_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) FEED_ALLOW_PRIVATE_HOSTS=1 \
		$(BIN)/pytest

# The embedded default must keep working: a quick run on SQLite.
test-smoke:
	env -u DATABASE_URL -u REDIS_URL FEED_ALLOW_PRIVATE_HOSTS=1 $(BIN)/pytest -m smoke -q

# The benchmark suite against its peers (feedparser, reader in its own Python 3.12 venv):
# about 20 minutes; BENCH_ARGS=--quick for tiny sizes. Writes benchmarks/results.json.
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/8
# Accuracy on the labelled evaluation set (evaluation/dataset.json), through the real pipeline.
eval: setup services
	DATABASE_URL=$(PG_URL) $(BIN)/python -m evaluation --json evaluation/results.json

bench: setup services
	command -v wrk >/dev/null || apt-get install -y wrk
	DATABASE_URL=$(PG_URL) TEST_REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python -m benchmarks $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .

# Re-pin requirements.lock after editing pyproject.toml.
lock: setup
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles
