# LobbyStar: `make run` to try it, `make test` to check it.
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Trying it and testing it are development: the public development keys are allowed only with
# DEBUG=true. Production sets DEBUG=false, SECRET_KEY and CUSTOMER_REF_KEY (CONTRACT.md §6).
run test messages: export DEBUG ?= true

.PHONY: run setup test lint format serve demo messages clean prod

run: setup
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py compilemessages -v0 --ignore=.venv
	$(PY) manage.py collectstatic --no-input -v0
	$(PY) manage.py demo_ready
	$(PY) manage.py runserver $(HOST):$(PORT)

setup:
	@bash scripts/setup.sh

# Production: gunicorn, a Celery worker and beat (Procfile) under honcho, on PostgreSQL and
# Redis; refuses to start without DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, … (docs/operating.md).
prod: setup
	@PORT=$(PORT) BIND_HOST=$(HOST) bash scripts/prod.sh

test: setup
	$(PY) manage.py compilemessages -v0 --ignore=.venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	$(PY) -m pytest -q

format: setup
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

messages: setup
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/*.sqlite3* var/static var/media
