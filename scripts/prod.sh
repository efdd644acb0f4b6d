#!/usr/bin/env bash
# `make prod`: LobbyStar as a bank runs it — gunicorn, a Celery worker and Celery beat (Procfile),
# run by honcho, against PostgreSQL and Redis. Reads .env when there is one; refuses to start
# without the settings production needs. docs/operating.md says what each one is.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .env ]; then set -a; . ./.env; set +a; fi

missing=()
for name in DATABASE_URL CELERY_BROKER_URL SECRET_KEY CUSTOMER_REF_KEY ALLOWED_HOSTS SITE_URL; do
  [ -n "${!name:-}" ] || missing+=("$name")
done
if ((${#missing[@]})); then
  echo "make prod: set ${missing[*]} in the environment or in .env (docs/operating.md says what each one is)" >&2
  exit 1
fi
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "make prod: DATABASE_URL must be a PostgreSQL address (postgres://user:password@host:5432/name)" >&2; exit 1 ;;
esac
case "$CELERY_BROKER_URL" in
  redis://* | rediss://*) ;;
  *) echo "make prod: CELERY_BROKER_URL must be a Redis address (redis://host:6379/0)" >&2; exit 1 ;;
esac

export DEBUG="${DEBUG:-false}" PORT="${PORT:-8000}" PATH="$PWD/.venv/bin:$PATH"
python manage.py migrate --no-input -v0
python manage.py compilemessages -v0 --ignore=.venv
python manage.py collectstatic --no-input -v0
exec honcho start --procfile Procfile --port "$PORT"
