"""Import files built in code: CSV in any encoding and XLSX with real date cells, written
to a folder of the test's own, and a test case that imports them on a fixed day."""

import csv
import datetime
import io
import tempfile
from pathlib import Path

import openpyxl
from django.test import TestCase
from django.utils import translation

from metrics.services import ImportResult, import_file

TODAY = datetime.date(2026, 4, 30)


def csv_bytes(rows: list[list], *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    """A workbook whose first sheet holds `rows`; dates become real date cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class ImportTestCase(TestCase):
    """Writes files into a temporary folder and imports them as of TODAY, in English (the
    language of CONTRACT.md's examples; tests/core/test_import_messages.py reads the Chinese)."""

    language = "en"

    def setUp(self):
        super().setUp()
        self.enterContext(translation.override(self.language))
        self.folder = Path(self.enterContext(tempfile.TemporaryDirectory()))

    def write(self, name: str, content: bytes | str | list[list], *, encoding: str = "utf-8") -> Path:
        if isinstance(content, list):
            content = xlsx_bytes(content) if name.endswith(".xlsx") else csv_bytes(content, encoding=encoding)
        elif isinstance(content, str):
            content = content.encode(encoding)
        path = self.folder / name
        path.write_bytes(content)
        return path

    def run_import(self, kind: str, content, *, name: str | None = None, **options) -> ImportResult:
        path = content if isinstance(content, Path) else self.write(name or f"{kind}.csv", content)
        options.setdefault("today", TODAY)
        return import_file(kind, path, **options)

    def assertImported(self, result: ImportResult, *, created=None, updated=None, unchanged=None):
        self.assertEqual(result.errors, [], "\n".join(str(error) for error in result.errors))
        for name, wanted in (("created", created), ("updated", updated), ("unchanged", unchanged)):
            if wanted is not None:
                self.assertEqual(getattr(result, name), wanted, f"{name}: {result.summary}")

    def assertRejected(self, result: ImportResult, *expected: str):
        """Each expected text is found in some error line ("row 3, column date: … not a real date")."""
        self.assertFalse(result.ok, "the file was imported")
        lines = [str(error) for error in result.errors]
        for text in expected:
            self.assertTrue(any(text in line for line in lines), f"{text!r} not in:\n" + "\n".join(lines))
        return lines
