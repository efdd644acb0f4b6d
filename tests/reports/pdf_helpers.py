"""A small bank with every kind of scorecard a PDF or a write-up must handle, and PDF readers.

Branch A (杭州分行 → 西湖支行 → 文三路营业部) has ten lobby managers over August–October 2026:
Alice the star, Bob the steady low performer (bottom-flagged), Chen away most of October
(exempt), Deng with an upheld major complaint in October (veto), Fang with an upheld normal
complaint, and five ordinary colleagues. Branch B has Olivia alone.
"""

import datetime
import shutil
import subprocess
from pathlib import Path

from appraisals.services.periods import period_compute
from staff.models import Absence
from tests import factories

AUGUST = datetime.date(2026, 8, 1)
SEPTEMBER = datetime.date(2026, 9, 1)
OCTOBER = datetime.date(2026, 10, 1)
MONTHS = (AUGUST, SEPTEMBER, OCTOBER)


def lobby_bank(months=MONTHS) -> dict:
    """Builds the bank above and computes `months` in order. Returns the people by name."""
    tree = factories.bank_tree()
    outlet_a = tree["outlet_a"]
    people = {
        "alice": factories.staff("E001", "张丽", outlet_a, position_since=datetime.date(2018, 3, 1)),
        "bob": factories.staff("E002", "王博", outlet_a),
        "chen": factories.staff("E003", "陈晨", outlet_a),
        "deng": factories.staff("E004", "邓军", outlet_a),
        "fang": factories.staff("E005", "方芳", outlet_a),
    }
    colleagues = [factories.staff(f"E1{i:02d}", f"同事{i}", outlet_a) for i in range(5)]
    people["olivia"] = factories.staff("E900", "欧阳晓", tree["outlet_b"])
    shares = {"alice": 1.2, "bob": 0.3, "chen": 0.95, "deng": 0.97, "fang": 0.92, "olivia": 1.0}
    for month in months:
        for key, share in shares.items():
            factories.full_month(people[key], month, share=share)
        for i, colleague in enumerate(colleagues):
            factories.full_month(colleague, month, share=0.85 + i * 0.03)
        if month == months[-1]:
            factories.feedback(people["alice"], month, "praise", count=2, channel="letter")
            factories.feedback(people["deng"], month, "complaint", upheld=True, severity="major")
            factories.feedback(people["fang"], month, "complaint", upheld=True, severity="normal")
            Absence.objects.create(
                staff=people["chen"], start=month.replace(day=5), end=month.replace(day=28), kind="sick"
            )
        period_compute(month=month)
    return {"tree": tree, "colleagues": colleagues, **people}


def pdf_text(path_or_bytes) -> str:
    """The text of a PDF, as `pdftotext -layout` reads it."""
    data = Path(path_or_bytes).read_bytes() if isinstance(path_or_bytes, (str, Path)) else path_or_bytes
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def pdf_pages(path_or_bytes) -> int:
    data = Path(path_or_bytes).read_bytes() if isinstance(path_or_bytes, (str, Path)) else path_or_bytes
    result = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    for line in result.stdout.decode("utf-8").splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo gave no page count")


def pdf_fonts(path_or_bytes) -> list[dict]:
    """`pdffonts` as rows: name, type, embedded."""
    data = Path(path_or_bytes).read_bytes() if isinstance(path_or_bytes, (str, Path)) else path_or_bytes
    result = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True)
    rows = []
    for line in result.stdout.decode("utf-8").splitlines()[2:]:
        parts = line.split()
        # name, type (may be several words), encoding, emb, sub, uni, object, generation
        rows.append({"name": parts[0], "embedded": parts[-5] == "yes", "line": line})
    return rows


def poppler_available() -> bool:
    return all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdfinfo"))


def database_url_for_subprocess(folder: Path) -> str:
    """A DATABASE_URL under which another process (a Celery worker, a command) sees the data this
    test committed: on PostgreSQL the test database itself; on SQLite, whose test database
    lives in this process's memory, a file copy of it made with SQLite's backup API."""
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor == "sqlite":
        import sqlite3

        target = Path(folder) / "snapshot.sqlite3"
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return f"sqlite:///{target}"
    if connection.vendor == "postgresql":
        from urllib.parse import quote

        settings = connection.settings_dict
        credentials = quote(settings["USER"] or "")
        if settings.get("PASSWORD"):
            credentials += ":" + quote(settings["PASSWORD"])
        host = settings.get("HOST") or "127.0.0.1"
        port = settings.get("PORT") or "5432"
        return f"postgres://{credentials}@{host}:{port}/{settings['NAME']}"
    raise NotImplementedError(f"no subprocess URL for {connection.vendor}")


def redis_available(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False
