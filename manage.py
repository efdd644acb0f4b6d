#!/usr/bin/env python
"""Django's command-line utility for LobbyStar."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A setting the environment got wrong: its message names the variable.
        sys.stderr.write(f"{error}\n")
        sys.exit(1)
    except OperationalError as error:
        # A database that does not answer is one line for the operator, not a traceback.
        sys.stderr.write(_database_unreachable(error) + "\n")
        sys.exit(1)


def _database_unreachable(error) -> str:
    """Which database could not be reached, without its password."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    engine = settings_dict.get("ENGINE", "").rsplit(".", 1)[-1]
    if engine == "sqlite3":
        where = f"sqlite {settings_dict.get('NAME')}"
    else:
        user = settings_dict.get("USER") or ""
        host = settings_dict.get("HOST") or "localhost"
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        where = f"{engine} {user + '@' if user else ''}{host}{port}/{settings_dict.get('NAME')}"
    reason = str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
    password = settings_dict.get("PASSWORD")
    if password:
        reason = reason.replace(password, "***")
    return f"无法连接数据库 {where} · Could not reach the database {where}: {reason}"


if __name__ == "__main__":
    main()
