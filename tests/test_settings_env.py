from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env


def test_a_bad_boolean_is_refused_with_the_variables_name(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        env.env_bool("DEBUG", False)


def test_a_bad_number_is_refused(monkeypatch):
    monkeypatch.setenv("AXES_FAILURE_LIMIT", "five")
    with pytest.raises(ImproperlyConfigured, match="AXES_FAILURE_LIMIT must be a whole number"):
        env.env_int("AXES_FAILURE_LIMIT", 5)


def test_the_default_database_is_a_sqlite_file_under_var(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    db = env.env_database("DATABASE_URL", "sqlite:///var/x.sqlite3", base_dir=Path("/srv/app"))
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == "/srv/app/var/x.sqlite3"


def test_a_postgres_url_is_split_into_its_parts(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://bank:s%40cret@db.local:5433/lobby")
    db = env.env_database("DATABASE_URL", "", base_dir=Path("/"))
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "bank",
        "s@cret",
        "db.local",
        "5433",
        "lobby",
    )


def test_an_unknown_database_scheme_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://x/y")
    with pytest.raises(ImproperlyConfigured, match="sqlite:// or postgres://"):
        env.env_database("DATABASE_URL", "", base_dir=Path("/"))
