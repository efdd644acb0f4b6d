import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from appraisals.services.schemes import SchemeError, scheme_import


def read_scheme_file(path: str):
    """The JSON in PATH, or a CommandError that says why not (no file, not UTF-8, not JSON)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CommandError(f"{path}: cannot read the file ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not a UTF-8 text file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{path}: not JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None


class Command(BaseCommand):
    help = "Reads a scoring scheme from JSON (as export_scheme writes it) into a draft version."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        data = read_scheme_file(path)
        try:
            scheme, outcome = scheme_import(data=data)
        except SchemeError as error:
            raise CommandError(f"{path}: {error}") from None
        self.stdout.write(f"{scheme.label}: {outcome} ({scheme.get_status_display()})")
