"""Benchmark: the API (issue 14) — a 10,000-row deposits batch, and reading a 20,000-scorecard
month page by page.

    .venv/bin/python bench/bench_api.py [--staff 20000] [--rows 10000] [--page-size 500,1000,5000]
                                          [--database sqlite|postgres|both]

Builds a throwaway database with a bank of N lobby managers (bench_compute.build_bank), computes
and publishes October 2026, then times, through Django's test Client (the whole request:
authentication, JSON parsing, the import or the query, the JSON answer):
- POST /api/v1/records/deposits/ with ROWS new rows, and the same batch again (all unchanged);
- GET /api/v1/months/2026-10/scorecards/ from page 1 to the last, following `next`, at each page size.
Targets: the batch ≤ 2 s; the whole month ≤ 5 s.
"""

import argparse
import contextlib
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

MONTH = datetime.date(2026, 10, 1)
PG_NAME = os.environ.get("BENCH_PG_NAME", "lobbystar_bench_api")  # one of your own when the machine is shared
GOAL_BATCH_SECONDS = 2  # issue 14
GOAL_READ_SECONDS = 5


def run_child(database: str, args) -> None:
    env = dict(os.environ, API_RATE_LIMIT="1000000/min")
    # DEBUG stays off, as in production; the throwaway database needs no secret of its own.
    env.setdefault("SECRET_KEY", "bench-api-throwaway-key")
    env.setdefault("CUSTOMER_REF_KEY", "bench-api-throwaway-key")
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='lobbystar-bench-')}/bench.sqlite3"
    else:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {PG_NAME}"], check=True)
        subprocess.run([*psql, f"CREATE DATABASE {PG_NAME}"], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
    command = [sys.executable, __file__, "--child", database, "--staff", str(args.staff), "--rows", str(args.rows)]
    command += ["--page-size", args.page_size] + (["--statements"] if args.statements else [])
    subprocess.run(command, env=env, check=True)
    if database == "postgres":
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {PG_NAME}"], check=False)


class StatementTimer:
    """With --statements: the wall time of each kind of SQL statement (its first 90 characters),
    as `connection.execute_wrapper` sees it — the round trip and the server's work together."""

    def __init__(self):
        self.spent: dict[str, list[float]] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = self.spent.setdefault(" ".join(sql.split())[:90], [0.0, 0])
            entry[0] += time.perf_counter() - started
            entry[1] += len(params) if many and params is not None else 1

    def report(self, prefix: str, seconds: float) -> None:
        if not self.spent:
            return
        total = sum(spent for spent, _count in self.spent.values())
        print(
            f"{prefix}SQL: {total:.2f} s of the {seconds:.2f} s, in {len(self.spent)} kinds of statement; the longest:"
        )
        for sql, (spent, count) in sorted(self.spent.items(), key=lambda item: -item[1][0])[:8]:
            print(f"{prefix}  {spent * 1000:7.0f} ms ×{count:<6} {sql}")


def child(database: str, staff: int, rows: int, page_sizes: list[int], statements: bool = False) -> None:
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # DEBUG stays off as in production (no query log); the keys are the benchmark's own.
    os.environ.setdefault("SECRET_KEY", "bench-api-secret-key")
    os.environ.setdefault("CUSTOMER_REF_KEY", "bench-api-customer-key")
    django.setup()
    import numpy as np
    from bench_compute import build_bank
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from api.services import api_client_create
    from appraisals.services.periods import period_compute, period_review
    from metrics.models import Deposit

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build_bank(staff, staff * 10)
    computed = period_compute(month=MONTH)
    period_review(month=MONTH, without_signoffs=True, reason="benchmark")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"[{database}] machine: {os.cpu_count()} cores, load average {load} (1, 5, 15 min)")
    print(
        f"[{database}] built {staff:,} lobby managers, {computed.scorecards:,} published scorecards "
        f"in {time.perf_counter() - started:.1f} s"
    )
    _client, token = api_client_create(name="bench", scopes="records:write,scorecards:read")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    rng = np.random.default_rng(14)
    batch = [
        {
            "ref": f"API{i:07d}",
            "date": f"2026-11-{day:02d}",
            "employee_no": f"E{100000 + who}",
            "customer_ref": f"CUST{i:08d}",
            "amount": f"{amount:,.2f}",
            "product": "定期",
        }
        for i, (day, who, amount) in enumerate(
            zip(rng.integers(1, 31, rows), rng.integers(0, staff, rows), rng.lognormal(10, 1.2, rows), strict=True)
        )
    ]
    body = json.dumps({"rows": batch})
    for label in ("new", "again"):
        timer = StatementTimer()
        started, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timer) if statements else contextlib.nullcontext():
            response = client.post("/api/v1/records/deposits/", data=body, content_type="application/json")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert response.status_code in (200, 201), response.content[:500]
        answer = response.json()
        print(
            f"[{database}] POST deposits, {rows:,} rows ({len(body) / 1e6:.1f} MB), {label}: "
            f"{seconds:.2f} s wall ({cpu:.2f} s CPU, this process) — "
            f"created {answer['created']:,}, unchanged {answer['unchanged']:,}"
        )
        timer.report(f"[{database}]   ", seconds)
        if label == "new":
            verdict = "MET" if seconds <= GOAL_BATCH_SECONDS else "NOT MET"
            print(
                f"[{database}] GOAL (issue 14: a {rows:,}-row deposits batch accepted in ≤ {GOAL_BATCH_SECONDS} s, "
                f"wall): {verdict} — {seconds:.2f} s wall, {cpu:.2f} s CPU; load {os.getloadavg()[0]:.1f}"
            )
    assert Deposit.objects.filter(ref__startswith="API").count() == rows

    # The same run's reference: the data work of a page as it was done before (sort and count the
    # whole month for each page, then read its scorecards through the export), in this process.
    from django.core.paginator import Paginator

    from api import selectors
    from appraisals.models import Period

    period = Period.objects.get(month=MONTH)
    for size in page_sizes:
        timings = {}
        for label in ("before: ORDER BY … OFFSET and COUNT(*) per page", "now: the peer groups a page spans"):
            started, cpu = time.perf_counter(), time.process_time()
            if label.startswith("before"):
                paginator = Paginator(selectors.scorecards_of_month(period=period, filters={}).values_list("pk"), size)
                for number in paginator.page_range:
                    pks = [pk for (pk,) in paginator.page(number)]
                    selectors.scorecard_results(pks)
                    paginator = Paginator(paginator.object_list, size)  # each request counts again
            else:
                for number in range(1, -(-computed.scorecards // size) + 1):
                    paginator = Paginator(selectors.MonthScorecards(period=period, filters={}), size)
                    assert paginator.page(number).object_list
            timings[label] = (time.perf_counter() - started, time.process_time() - cpu)
            print(
                f"[{database}] data work only, pages of {size}, {label}: "
                f"{timings[label][0]:.2f} s ({timings[label][1]:.2f} s CPU)"
            )
        (old_wall, old_cpu), (new_wall, new_cpu) = timings.values()
        print(f"[{database}]   ratio before/now: {old_wall / new_wall:.1f}× wall, {old_cpu / new_cpu:.1f}× CPU")

    for size in page_sizes:
        started, cpu = time.perf_counter(), time.process_time()
        url, pages, results = f"/api/v1/months/{MONTH:%Y-%m}/scorecards/?page_size={size}", 0, 0
        while url:
            response = client.get(url)
            assert response.status_code == 200, response.content[:500]
            page = response.json()
            pages, results, url = pages + 1, results + len(page["results"]), page["next"]
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert results == computed.scorecards
        print(
            f"[{database}] GET the month's scorecards: {results:,} in {pages} pages of {size}: "
            f"{seconds:.2f} s in all ({cpu:.2f} s CPU), {seconds / pages * 1000:.0f} ms a page "
            f"(goal ≤ {GOAL_READ_SECONDS} s: {'MET' if seconds <= GOAL_READ_SECONDS else 'NOT MET'})"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--staff", type=int, default=20000)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument(
        "--page-size", default="500,1000,5000", help="one or more, comma-separated; none: time the batch only"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--statements", action="store_true", help="also time each kind of SQL statement of the batch (execute_wrapper)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sizes = [] if args.page_size in ("", "none") else [int(size) for size in args.page_size.split(",")]
        child(args.child, args.staff, args.rows, sizes, args.statements)
        return
    for database in ["sqlite", "postgres"] if args.database == "both" else [args.database]:
        run_child(database, args)


if __name__ == "__main__":
    main()
