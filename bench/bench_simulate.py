"""Benchmark: what-if simulation of 12 computed months of a large bank (issue 13).

    .venv/bin/python bench/bench_simulate.py [--staff 20000] [--records 500000]
                                                [--database sqlite|postgres]

Builds a throwaway database with a bank of N lobby managers (bench_compute's bank: tier-1
branches of 1,000, ten sub-branches each, five outlets each) and M records in each of the 12
months December 2025 – November 2026, computes the 12 months for real, then — in a fresh process,
so the peak memory is the simulation's own — runs `simulate_scheme` with a changed scheme
(accounts weight 15 → 30, satisfaction 20 → 5) over the 12 months and writes its CSV.
Targets: ≤ 10 s, peak memory ≤ 2 GB.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FIRST = datetime.date(2025, 12, 1)
MONTHS = 12
PG_NAME = "lobbystar_bench_simulate"


def months() -> list[datetime.date]:
    from core.months import month_add

    return [month_add(FIRST, index) for index in range(MONTHS)]


def add_records(per_month: int) -> None:
    """`per_month` records in each month, shared as bench_compute shares them."""
    import numpy as np
    from django.db import connection

    from core.months import month_bounds
    from staff.models import Staff

    rng = np.random.default_rng(13)
    staff_ids = np.array(Staff.objects.order_by("id").values_list("id", flat=True))
    ability = rng.uniform(0.3, 1.3, len(staff_ids))
    weights = ability / ability.sum()
    for number, month in enumerate(months()):
        _first, _last, days = month_bounds(month)

        def owners(count):
            return staff_ids[rng.choice(len(staff_ids), size=count, p=weights)].tolist()

        def dates(count, month=month, days=days):
            return [f"{month:%Y-%m}-{d:02d}" for d in rng.integers(1, days + 1, count)]

        n = int(per_month * 0.20)
        accounts = zip(
            [f"A{number}-{i}" for i in range(n)], dates(n), owners(n), ["h" * 64] * n, ["savings"] * n,
            np.round(rng.lognormal(8.5, 1.5, n), 2).tolist(), strict=True,
        )  # fmt: skip
        n = int(per_month * 0.30)
        deposits = zip(
            [f"D{number}-{i}" for i in range(n)], dates(n), owners(n), ["h" * 64] * n,
            np.round(rng.lognormal(10.5, 1.2, n), 2).tolist(), ["定期"] * n, strict=True,
        )  # fmt: skip
        n = int(per_month * 0.15)
        ebanking = zip(
            [f"EB{number}-{i}" for i in range(n)], dates(n), owners(n), ["h" * 64] * n, ["mobile_banking"] * n,
            (rng.random(n) < 0.85).tolist(), strict=True,
        )  # fmt: skip
        n = int(per_month * 0.35)
        kinds = rng.choice(["rating"] * 6 + ["inspection", "praise", "complaint"], n)
        feedback = (
            (f"F{number}-{i}", d, s, "pad", k, int(r) if k == "rating" else None,
             float(sc) if k == "inspection" else None, bool(u) if k == "complaint" else False, "normal", "")
            for i, (d, s, k, r, sc, u) in enumerate(
                zip(dates(n), owners(n), kinds, rng.integers(1, 6, n), rng.integers(60, 100, n),
                    rng.random(n) < 0.3, strict=True)
            )
        )  # fmt: skip
        tables = {
            "metrics_accountopening": (
                ["ref", "date", "staff_id", "customer_hash", "account_type", "avg_assets"], accounts),
            "metrics_deposit": (["ref", "date", "staff_id", "customer_hash", "amount", "product"], deposits),
            "metrics_ebankingsale": (
                ["ref", "date", "staff_id", "customer_hash", "product", "activated"], ebanking),
            "metrics_feedback": (
                ["ref", "date", "staff_id", "channel", "kind", "rating", "score", "upheld", "severity", "text"],
                feedback),
        }  # fmt: skip
        with connection.cursor() as cursor:
            for table, (columns, rows) in tables.items():
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", list(rows))


def build(staff: int, records: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from bench_compute import build_bank
    from django.core.management import call_command

    from appraisals.services.periods import period_compute

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build_bank(staff, 0)
    add_records(records)
    print(f"built {staff:,} lobby managers and {records:,} records × {MONTHS} months in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    started = time.perf_counter()
    for month in months():
        period_compute(month=month)
    print(f"computed {MONTHS} months for real in {time.perf_counter() - started:.1f} s")


def measure(folder: str) -> None:
    import resource

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    from scoring import DEFAULT_SCHEME
    from scoring.scheme import scheme_to_json

    data = scheme_to_json(DEFAULT_SCHEME)
    changed = {"accounts": 30, "satisfaction": 5}
    data["items"] = [{**item, "weight": changed.get(item["code"], item["weight"])} for item in data["items"]]
    scheme_file = Path(folder) / "scheme.json"
    scheme_file.write_text(json.dumps({**data, "version": 2}), encoding="utf-8")
    output = Path(folder) / "simulation.csv"
    first, last = months()[0], months()[-1]
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    cpu, started = time.process_time(), time.perf_counter()
    call_command("simulate_scheme", str(scheme_file), f"{first:%Y-%m}", f"{last:%Y-%m}", "--output", str(output))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = output.read_text(encoding="utf-8").count("\n") - 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"simulate_scheme {first:%Y-%m}..{last:%Y-%m}: {seconds:.2f} s wall, {cpu:.2f} CPU-s (SQLite runs in this "
        f"process, so that is all of it), {rows:,} rows of CSV; load average {load} before"
    )
    print(f"peak memory {peak:.0f} MB")
    print(f"GOAL ≤ 10 s: {seconds:.2f} s wall — {'MET' if seconds <= 10 else 'NOT MET'}")
    print(f"GOAL ≤ 2048 MB: {peak:.0f} MB — {'MET' if peak <= 2048 else 'NOT MET'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--staff", type=int, default=20000)
    parser.add_argument("--records", type=int, default=500_000, help="records in each month")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--child", choices=["build", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "build":
        build(args.staff, args.records)
        return
    if args.child == "measure":
        measure(args.folder)
        return
    folder = tempfile.mkdtemp(prefix="lobbystar-bench-simulate-")
    env = dict(os.environ)
    if args.database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    else:
        for sql in (f"DROP DATABASE IF EXISTS {PG_NAME}", f"CREATE DATABASE {PG_NAME}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
    common = ["--staff", str(args.staff), "--records", str(args.records), "--folder", folder]
    subprocess.run([sys.executable, __file__, "--child", "build", *common], env=env, check=True)
    # A fresh process, so the peak memory is the simulation's alone.
    subprocess.run([sys.executable, __file__, "--child", "measure", *common], env=env, check=True)


if __name__ == "__main__":
    main()
