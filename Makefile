# The README names these targets; each one sets up what it needs on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py

.PHONY: bench fuzz run worker beat test lint imports typecheck format schema schema-check schema-lint migrations-check deploy-check ci clean constraints

# The set-up steps say in one line what they do; the tools' own output is kept to what matters.
$(BIN)/python:
	@echo "Creating .venv with $(PYTHON) (first run only)..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

ONCE := (once; again only when pyproject.toml or constraints.txt change)

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	@echo "Installing hipflex_api and its dependencies into .venv $(ONCE)..."
	@$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	@echo "Installing hipflex_api, its dependencies and the dev tools into .venv $(ONCE)..."
	@$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@ $(VENV)/.installed

# The contract's tools (Redocly's linter, the TypeScript generators and compiler) at the versions
# package-lock.json pins, with the machine's Node.js and npm.
node_modules/.installed: package.json package-lock.json
	@echo "Installing the contract's npm tools into node_modules (once; again only when package-lock.json changes)..."
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 or newer with npm." >&2; exit 1; }
	@npm ci --no-fund --no-audit --loglevel=error
	@touch $@

## run: serve the API with the seed catalog at http://127.0.0.1:$(PORT)
run: $(VENV)/.installed
	@echo "Applying migrations..."
	@$(MANAGE) migrate --noinput --verbosity 0
	@echo "Loading the seed catalog..."
	@$(MANAGE) seed_catalog
	@echo "Serving on http://127.0.0.1:$(PORT)/ (the API's index at /api/v1/; Ctrl-C stops it)..."
	@$(MANAGE) runserver 127.0.0.1:$(PORT)

# worker and beat need a broker, which the settings take from CELERY_BROKER_URL or else REDIS_URL,
# in the environment or .env; without one, `make run` runs each job itself after its request.
NEEDS_BROKER = @$(MANAGE) shell --verbosity 0 -c \
	'from django.conf import settings; raise SystemExit(3 if settings.CELERY_TASK_ALWAYS_EAGER else 0)' \
	|| { [ $$? -ne 3 ] || echo "make $@ needs a broker: put REDIS_URL=redis://127.0.0.1:6379/0 in .env \
	(make run then uses it too, so its jobs reach the worker), or set CELERY_BROKER_URL." >&2; exit 1; }

## worker: a Celery worker for development, running the jobs `make run` enqueues
worker: $(VENV)/.installed
	$(NEEDS_BROKER)
	$(BIN)/celery -A hipflex_api worker --loglevel=info

## beat: the Celery scheduler for development; it enqueues the housekeeping jobs for the worker
beat: $(VENV)/.installed
	$(NEEDS_BROKER)
	$(BIN)/celery -A hipflex_api beat --loglevel=info --schedule $(VENV)/celerybeat-schedule

## test: the whole suite (SQLite, or the database DATABASE_URL names)
test: $(VENV)/.installed-dev node_modules/.installed
	$(BIN)/pytest

## lint: ruff (complexity included) and the size of every function (.ci/sizes.py)
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python .ci/sizes.py

## imports: the layers run one way (the contracts in pyproject.toml)
imports: $(VENV)/.installed-dev
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## schema: regenerate the committed openapi.yaml after an API change
schema: $(VENV)/.installed
	$(MANAGE) spectacular --validate --fail-on-warn --file openapi.yaml

## examples: record openapi.yaml's `recorded` examples again (the day in tests/contract/examples_scenario.py), then make schema
.PHONY: examples
examples: $(VENV)/.installed-dev
	HIPFLEX_RECORD_EXAMPLES=1 $(BIN)/pytest -q tests/contract/test_examples.py::test_the_day_answers_as_recorded
	@$(MAKE) --no-print-directory schema

schema-check: $(VENV)/.installed
	$(MANAGE) spectacular --validate --fail-on-warn --file $(VENV)/openapi.generated.yaml
	diff -u openapi.yaml $(VENV)/openapi.generated.yaml

## schema-lint: Redocly's linter over openapi.yaml, under redocly.yaml
schema-lint: node_modules/.installed
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint openapi.yaml --config redocly.yaml

migrations-check: $(VENV)/.installed
	$(MANAGE) makemigrations --check --dry-run

deploy-check: $(VENV)/.installed
	DJANGO_ENV=production DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		DJANGO_ALLOWED_HOSTS=api.example.com REDIS_URL=redis://redis.example.com:6379/0 \
		COUNTERS_REDIS_URL=redis://counters.example.com:6379/0 \
		EMAIL_URL=smtp+tls://mailer:secret@smtp.example.com:587 \
		$(MANAGE) check --deploy --fail-level WARNING

## fuzz: schemathesis against a live gunicorn on a throwaway database (FUZZ_SEED=n replays)
fuzz: $(VENV)/.installed-dev
	fuzz/run

## bench: wrk against a live gunicorn on a throwaway database; results in bench/results/
bench: $(VENV)/.installed-bench
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py

$(VENV)/.installed-bench: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e ".[bench]"
	touch $@ $(VENV)/.installed

ci:
	bash .ci/run

## constraints: pin what pyproject.toml allows to the versions installed now
constraints: $(VENV)/.installed-dev
	{ sed -n '1,3p' constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3
