"""Console speed: `.venv/bin/python bench/bench_console.py [--runs 20] [--profile]`.

Builds a throwaway SQLite database with 20,000 lobby managers and one computed month (scorecards
inserted in bulk, not computed), then times the scorecards page (sorted, filtered, page 1) and
the dashboard through Django's test Client as HR: median server time (wall and CPU) of 20
requests, and the number of queries. Targets (issue 15): ≤ 60 ms and ≤ 8 queries for each page.
`--profile` prints where one request of each page spends its time (cProfile, by own time).
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = Path(tempfile.mkdtemp(prefix="bench-console-")) / "bench.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# DEBUG stays off, as in production; the throwaway database needs no secret of its own.
os.environ.setdefault("SECRET_KEY", "bench-console-throwaway-key")
os.environ.setdefault("CUSTOMER_REF_KEY", "bench-console-throwaway-key")

import django  # noqa: E402

django.setup()

import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from appraisals.models import Period, PeriodStatus, Scheme, Scorecard  # noqa: E402
from staff.models import Branch, Level, Membership, Role, Staff  # noqa: E402

MANAGERS = 20_000
MONTH = datetime.date(2026, 10, 1)
GRADES = ["excellent", "good", "pass", "fail"]
TARGET_MS, TARGET_QUERIES = 60.0, 8


def build():
    call_command("migrate", verbosity=0)
    head = Branch.objects.create(code="100000", name="总行", level=Level.HEAD_OFFICE, path="/100000/")
    outlets = []
    for b in range(20):
        tier1 = Branch.objects.create(
            code=f"T{b:02d}", name=f"第{b}分行", level=Level.BRANCH, parent=head, path=f"{head.path}T{b:02d}/"
        )
        for s in range(10):
            sub = Branch.objects.create(
                code=f"S{b:02d}{s}", name=f"第{b}-{s}支行", level=Level.SUB_BRANCH, parent=tier1,
                path=f"{tier1.path}S{b:02d}{s}/",
            )  # fmt: skip
            outlets += Branch.objects.bulk_create(
                Branch(
                    code=f"O{b:02d}{s}{o:02d}",
                    name=f"网点{b}-{s}-{o}",
                    level=Level.OUTLET,
                    parent=sub,
                    path=f"{sub.path}O{b:02d}{s}{o:02d}/",
                )  # fmt: skip
                for o in range(1, 11)
            )
    outlets = list(Branch.objects.filter(level=Level.OUTLET))
    staff = Staff.objects.bulk_create(
        (Staff(employee_no=f"E{i:06d}", name=f"员工{i}", branch=outlets[i % len(outlets)],
               position="lobby_manager", position_since=datetime.date(2020, 1, 1)) for i in range(MANAGERS)),
        batch_size=5000,
    )  # fmt: skip
    staff = list(Staff.objects.select_related("branch"))
    period = Period.objects.create(month=MONTH, status=PeriodStatus.COMPUTED, scorecard_count=MANAGERS,
                                   computed_at=timezone.now(), scheme=Scheme.objects.first())  # fmt: skip
    rng = random.Random(7)
    tier1_ids = {b.code: b.pk for b in Branch.objects.filter(level=Level.BRANCH)}
    now = timezone.now()
    cards = []
    for member in staff:
        score = Decimal(rng.randint(3000, 11500)) / 100
        peer_group_id = tier1_ids[member.branch.path.split("/")[2]]
        cards.append(
            Scorecard(
                period=period,
                staff=member,
                branch=member.branch,
                peer_group_id=peer_group_id,
                branch_path=member.branch.path,
                scheme=period.scheme,
                input_fingerprint="0" * 64,
                computed_at=now,
                days_in_month=31,
                present_days=31,
                accounts=20,
                effective=8,
                ebanking=15,
                deposits=Decimal("100"),
                deposits_total=Decimal("100"),
                satisfaction=Decimal("0.95"),
                praise=0,
                complaints=0,
                major_complaints=0,
                base=score,
                bonus=0,
                deduction=0,
                score=score,
                grade=GRADES[rng.randrange(4)],
                rank=rng.randint(1, 1000),
                group_size=1000,
                rolling=score,
                bottom_flag=rng.random() < 0.05,
            )  # fmt: skip
        )
    Scorecard.objects.bulk_create(cards, batch_size=5000)
    user = get_user_model().objects.create_user("bench-hr", password="x", is_staff=True)
    Membership.objects.create(user=user, role=Role.HR)
    return user, Branch.objects.get(code="T03")


def measure(client, url, params=None, runs=20):
    client.get(url, params)  # warm up
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, params)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return statistics.median(walls), statistics.median(cpus), [query["sql"] for query in queries]


def profile(client, url, params, lines=30):
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        client.get(url, params)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)
    print(out.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="cProfile 5 requests of each page")
    parser.add_argument("--queries", action="store_true", help="print each page's SQL")
    options = parser.parse_args()
    started = time.perf_counter()
    user, branch = build()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"built {MANAGERS:,} lobby managers and one month in {time.perf_counter() - started:.1f} s ({DB})")
    print(f"machine: {os.cpu_count()} cores, load average {load} (1, 5, 15 min); SQLite, DEBUG off")
    settings.DEBUG = False
    client = Client()
    client.force_login(user)
    rows = [
        (
            "scorecards, by score, branch + grade filter",
            "/months/2026-10/scorecards/",
            {"sort": "-score", "branch": branch.pk, "grade": "good"},
        ),
        ("scorecards, by name, unfiltered", "/months/2026-10/scorecards/", {"sort": "name"}),
        ("dashboard /", "/", None),
    ]
    failed = False
    print(f"{'page (page 1, 50 rows)':44} {'wall':>9} {'CPU':>9} {'queries':>8}  target")
    for label, url, params in rows:
        wall, cpu, queries = measure(client, url, params, options.runs)
        ok = wall <= TARGET_MS and len(queries) <= TARGET_QUERIES
        failed |= not ok
        print(
            f"{label:44} {wall:7.1f}ms {cpu:7.1f}ms {len(queries):8}"
            f"  ≤ {TARGET_MS:.0f} ms, ≤ {TARGET_QUERIES} queries: {'met' if ok else 'NOT met'}"
        )
        if options.queries:
            for sql in queries:
                print("    ", sql[:300])
        if options.profile:
            profile(client, url, params)
    print(f"medians of {options.runs} requests each (wall and CPU of this process; SQLite runs in-process)")
    if failed:
        print("goal NOT met (the wall time depends on the machine's load: compare the CPU column)")


if __name__ == "__main__":
    main()
