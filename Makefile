# Waypoint: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.lock | cut -d' ' -f1)

.PHONY: run test test-fast lint bench migrate demo messages clean

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-virtualenv -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	@echo "Waypoint is at http://127.0.0.1:8000 (Ctrl+C stops it)"
	$(BIN)/python manage.py runserver --noreload 127.0.0.1:8000

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy waypoint
	WAYPOINT_ENV=test $(BIN)/python manage.py makemigrations --check --dry-run

# The tests that need neither a browser nor a server of their own run on two processes (pytest-xdist,
# one file per process at a time); the browser tests and the drills that time a server of their own
# run after them, one at a time, so their figures are printed together and nothing competes with them.
test: lint
	WAYPOINT_ENV=test $(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser and not own_server"
	WAYPOINT_ENV=test $(BIN)/python -m pytest -m "browser or own_server"

test-fast: venv
	WAYPOINT_ENV=test $(BIN)/python -m pytest -m "not browser and not slow"

messages: venv
	WAYPOINT_ENV=test $(BIN)/python manage.py makemessages -l es --no-location --ignore=.venv --ignore=tests --ignore=bench
	WAYPOINT_ENV=test $(BIN)/python manage.py compilemessages -l es --ignore=.venv

# make bench BENCH_ARGS="--quick" for a short run of every part; --help lists the options.
bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
