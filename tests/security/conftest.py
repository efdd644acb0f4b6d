"""Hostile files run through `manage.py import_data` in a process of their own, so a file that
blows up memory or crashes the reader shows as what it is (a peak RSS, an exit status, a
traceback) rather than taking the test run with it.

`bank` is a migrated SQLite database in a temporary folder holding one lobby manager, A001,
so a file that slips through would really write its good rows."""

import dataclasses
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ONE_GB = 1024**3
TIME = Path("/usr/bin/time")


@dataclasses.dataclass
class Run:
    status: int
    out: str
    err: str
    peak_bytes: int  # the child's own peak RSS, from wait4


@dataclasses.dataclass
class Bank:
    folder: Path
    database: Path

    def env(self, **extra) -> dict:
        return {**os.environ, "DATABASE_URL": f"sqlite:///{self.database}", "CELERY_BROKER_URL": "", **extra}

    def manage(self, *argv, env: dict | None = None) -> Run:
        """Runs manage.py and measures its peak RSS. A child forked straight from this (large)
        test process would report this process's size as its own peak (Linux keeps the
        high-water mark across exec), so it is started by /usr/bin/time, a small process."""
        command = [sys.executable, "manage.py", *argv]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as peak:
            if TIME.exists():
                command = [str(TIME), "-q", "-f", "%M", "-o", peak.name, *command]
            process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, env=env or self.env())
            _pid, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            measured = Path(peak.name).read_text().strip().splitlines()
            kilobytes = int(measured[-1]) if measured and measured[-1].isdigit() else usage.ru_maxrss
            return Run(
                process.returncode,
                out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"),
                kilobytes * 1024,
            )

    def import_file(self, name: str, content: bytes, kind: str = "deposits", **env) -> Run:
        path = self.folder / name
        path.write_bytes(content)
        try:
            return self.manage("import_data", kind, str(path), env=self.env(**env) if env else None)
        finally:
            path.unlink()

    def count(self, table: str) -> int:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.fixture(scope="session")
def bank(tmp_path_factory) -> Bank:
    folder = tmp_path_factory.mktemp("hostile")
    bank = Bank(folder, folder / "bank.sqlite3")
    assert bank.manage("migrate", "-v0").status == 0
    branches = (
        "code,name,parent_code,level\n"
        "HO,总行,,head_office\nB1,分行,HO,branch\nS1,支行,B1,sub_branch\nO1,网点,S1,outlet\n"
    )
    staff = "employee_no,name,branch_code,position,position_since\nA001,Alice,O1,lobby_manager,2026-01-01\n"
    for kind, content in (("branches", branches), ("staff", staff)):
        run = bank.import_file(f"{kind}.csv", content.encode(), kind=kind)
        assert run.status == 0, run.err
    return bank
