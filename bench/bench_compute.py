"""Benchmark: `compute_scorecards` end to end for a large bank (issue: the scoring engine).

    .venv/bin/python bench/bench_compute.py [--staff 20000] [--records 2000000]
                                               [--database sqlite|postgres|both]

Builds a throwaway database with a bank of N lobby managers and M records in one month, then times
`period_compute` — read, compute, write — on the same inputs and after a correction of 1 % of
the managers' records (their peer groups ranked again), and prints the figure with the size of the work and
the peak memory, beside its floor timed in the same run: one GROUP BY staff over the month's four
record tables. It also times the same compute with the actuals counted from the records (the path
before the month summaries), the parts (actuals both ways, `input_fingerprint`), and a
1,000-manager sample the naive way (ORM aggregates per staff member).
Goals (issue 15): ≤ 1.5 s at 20,000 managers / 2,000,000 records on PostgreSQL and on SQLite;
the 5,000-manager demo bank (`--staff 5000 --records 600000`) ≤ 2× the floor; peak memory ≤ 2 GB.
"""

import argparse
import datetime
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MONTH = datetime.date(2026, 10, 1)
PG_NAME = "lobbystar_bench_compute"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(database: str, staff: int, records: int, *, pg_name: str = PG_NAME) -> None:
    """Each database is measured in a fresh process so peak memory is its own."""
    env = dict(os.environ)
    # DEBUG stays off, as in production; the throwaway database needs no secret of its own.
    env.setdefault("SECRET_KEY", "bench-compute-throwaway-key")
    env.setdefault("CUSTOMER_REF_KEY", "bench-compute-throwaway-key")
    if database == "sqlite":
        folder = tempfile.mkdtemp(prefix="lobbystar-bench-")
        env["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    else:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {pg_name}"],
            check=True,
        )
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {pg_name}"], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_name}"
    subprocess.run(
        [sys.executable, __file__, "--child", database, "--staff", str(staff), "--records", str(records)],
        env=env,
        check=True,
    )
    if database == "postgres":
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {pg_name}"],
            check=False,
        )


def build_bank(staff_count: int, record_count: int) -> None:
    import numpy as np
    from django.db import connection

    from staff.models import Assignment, Branch, Staff

    rng = np.random.default_rng(7)
    head = Branch.objects.create(code="100000", name="总行", level="head_office", path="/100000/")
    branches, subs, outlets = [], [], []
    tier1 = max(3, staff_count // 1000)
    for b in range(tier1):
        code = f"{110000 + b * 100}"
        branches.append(
            Branch(code=code, name=f"第{b + 1}分行", level="branch", parent=head, path=f"{head.path}{code}/")
        )
    Branch.objects.bulk_create(branches)
    branches = list(Branch.objects.filter(level="branch"))
    for branch in branches:
        for s in range(10):
            code = f"{branch.code}{s:02d}"
            subs.append(
                Branch(
                    code=code,
                    name=f"{branch.name}第{s + 1}支行",
                    level="sub_branch",
                    parent=branch,
                    path=f"{branch.path}{code}/",
                )
            )
    Branch.objects.bulk_create(subs)
    subs = list(Branch.objects.filter(level="sub_branch"))
    for sub in subs:
        for o in range(5):
            code = f"{sub.code}{o:02d}"
            outlets.append(
                Branch(
                    code=code,
                    name=f"{sub.name}{o + 1}号网点",
                    level="outlet",
                    parent=sub,
                    path=f"{sub.path}{code}/",
                )
            )
    Branch.objects.bulk_create(outlets)
    outlets = list(Branch.objects.filter(level="outlet"))

    places = rng.integers(0, len(outlets), staff_count)
    members = [
        Staff(
            employee_no=f"E{100000 + i}",
            name=f"员工{i}",
            branch=outlets[places[i]],
            position="lobby_manager",
            position_since=datetime.date(2020, 1, 1),
            status="active",
        )
        for i in range(staff_count)
    ]
    Staff.objects.bulk_create(members, batch_size=5000)
    staff_ids = list(Staff.objects.order_by("id").values_list("id", flat=True))
    Assignment.objects.bulk_create(
        [
            Assignment(
                staff_id=staff_id,
                branch=outlets[places[i]],
                position="lobby_manager",
                position_since=datetime.date(2020, 1, 1),
                status="active",
                valid_from=datetime.date(1900, 1, 1),
            )
            for i, staff_id in enumerate(staff_ids)
        ],
        batch_size=5000,
    )

    # Records: accounts 20%, deposits 30%, e-banking 15%, feedback 35%; each staff member's
    # volume varies so the groups have a spread of scores.
    ability = rng.uniform(0.3, 1.3, len(staff_ids))
    weights = ability / ability.sum()
    staff_array = np.array(staff_ids)
    days = 31

    def owners(count):
        return staff_array[rng.choice(len(staff_array), size=count, p=weights)]

    def dates(count):
        return [f"2026-10-{d:02d}" for d in rng.integers(1, days + 1, count)]

    shares = {"accounts": 0.20, "deposits": 0.30, "ebanking": 0.15, "feedback": 0.35}
    rows = {}
    n = int(record_count * shares["accounts"])
    rows["metrics_accountopening"] = (
        ["ref", "date", "staff_id", "customer_hash", "account_type", "avg_assets"],
        zip(
            [f"A{i}" for i in range(n)],
            dates(n),
            owners(n).tolist(),
            ["h" * 64] * n,
            ["savings"] * n,
            np.round(rng.lognormal(8.5, 1.5, n), 2).tolist(),
            strict=False,
        ),
    )
    n = int(record_count * shares["deposits"])
    rows["metrics_deposit"] = (
        ["ref", "date", "staff_id", "customer_hash", "amount", "product"],
        zip(
            [f"D{i}" for i in range(n)],
            dates(n),
            owners(n).tolist(),
            ["h" * 64] * n,
            np.round(rng.lognormal(10.5, 1.2, n), 2).tolist(),
            ["定期"] * n,
            strict=False,
        ),
    )
    n = int(record_count * shares["ebanking"])
    rows["metrics_ebankingsale"] = (
        ["ref", "date", "staff_id", "customer_hash", "product", "activated"],
        zip(
            [f"EB{i}" for i in range(n)],
            dates(n),
            owners(n).tolist(),
            ["h" * 64] * n,
            ["mobile_banking"] * n,
            (rng.random(n) < 0.85).tolist(),
            strict=False,
        ),
    )
    n = int(record_count * shares["feedback"])
    kinds = rng.choice(
        ["rating", "rating", "rating", "rating", "rating", "rating", "inspection", "praise", "complaint"], n
    )
    rows["metrics_feedback"] = (
        ["ref", "date", "staff_id", "channel", "kind", "rating", "score", "upheld", "severity", "text"],
        (
            (
                f"F{i}",
                d,
                s,
                "pad",
                k,
                int(r) if k == "rating" else None,
                float(sc) if k == "inspection" else None,
                bool(u) if k == "complaint" else False,
                "normal",
                "",
            )
            for i, (d, s, k, r, sc, u) in enumerate(
                zip(
                    dates(n),
                    owners(n).tolist(),
                    kinds,
                    rng.integers(1, 6, n),
                    rng.integers(60, 100, n),
                    rng.random(n) < 0.3,
                    strict=True,
                )
            )
        ),
    )
    with connection.cursor() as cursor:
        for table, (columns, data) in rows.items():
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", list(data))


def naive_sample(month: datetime.date, sample: int) -> float:
    """The path we did not take: per staff member, one ORM aggregate per kind of record."""
    from django.db.models import Avg, Count, Q

    from core.months import month_bounds
    from metrics.models import AccountOpening, Deposit, EbankingSale, Feedback
    from staff.models import Staff

    first, last, days = month_bounds(month)
    started = time.perf_counter()
    for member in Staff.objects.order_by("id")[:sample]:
        in_month = Q(staff=member, date__gte=first, date__lte=last)
        AccountOpening.objects.filter(in_month).aggregate(n=Count("id"), e=Count("id", filter=Q(avg_assets__gte=10000)))
        EbankingSale.objects.filter(in_month, activated=True).aggregate(n=Count("id"))
        weighted = 0
        for deposit in Deposit.objects.filter(in_month).only("amount", "date"):
            weighted += float(deposit.amount) * (days - deposit.date.day + 1) / days
        Feedback.objects.filter(in_month).aggregate(
            r=Count("id", filter=Q(kind="rating")),
            g=Count("id", filter=Q(kind="rating", rating__gte=4)),
            m=Avg("score", filter=Q(kind="inspection")),
            p=Count("id", filter=Q(kind="praise")),
            c=Count("id", filter=Q(kind="complaint", upheld=True)),
        )
    return time.perf_counter() - started


def group_by_floor(month: datetime.date) -> None:
    """The floor: one GROUP BY staff over the month's four record tables, every row fetched."""
    from django.db import connection

    from core.months import month_bounds

    first, last, _days = month_bounds(month)
    with connection.cursor() as cursor:
        for table in ("metrics_accountopening", "metrics_deposit", "metrics_ebankingsale", "metrics_feedback"):
            cursor.execute(
                f"SELECT staff_id, COUNT(*) FROM {table} WHERE date >= %s AND date <= %s GROUP BY staff_id",
                [first, last],
            )
            cursor.fetchall()


def correct(round_: int, staff_count: int) -> None:
    """One more effective customer (¥20,000 daily average) for every 100th manager, written
    with their month summaries as an import writes them."""
    from django.db import transaction

    from metrics.models import AccountOpening
    from metrics.summaries import summaries_refresh
    from staff.models import Staff

    day = MONTH.replace(day=15)
    chosen = list(Staff.objects.order_by("id").values_list("id", flat=True)[::100][: staff_count // 100])
    with transaction.atomic():
        AccountOpening.objects.bulk_create(
            AccountOpening(
                ref=f"FIX{round_}-{staff_id}",
                date=day,
                staff_id=staff_id,
                customer_hash="c" * 64,
                account_type="savings",
                avg_assets=20000,
            )
            for staff_id in chosen
        )
        summaries_refresh(kind="accounts", pairs=[(staff_id, day) for staff_id in chosen])


def median_of(runs: int, function, *args) -> float:
    return sorted(function(*args) for _ in range(runs))[runs // 2]


def timed(function, **kwargs) -> float:
    started = time.perf_counter()
    function(**kwargs)
    return time.perf_counter() - started


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and, on PostgreSQL, of its server backend (the
    same machine: read from /proc), which the machine's load swings far less than wall time."""
    from django.db import connection

    seconds = time.process_time()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:  # a server on another machine: this process's own CPU only
            pass
    return seconds


def measured(runs: int, function, **kwargs) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of `runs` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu, started = cpu_seconds(), time.perf_counter()
        function(**kwargs)
        walls.append(time.perf_counter() - started)
        cpus.append(cpu_seconds() - cpu)
    return sorted(walls)[runs // 2], sorted(cpus)[runs // 2]


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def child(database: str, staff: int, records: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from decimal import Decimal
    from unittest import mock

    from django.core.management import call_command

    from appraisals import selectors
    from appraisals.services.periods import period_compute
    from metrics.selectors import actuals, actuals_from_records
    from metrics.summaries import summaries_rebuild
    from scoring import input_fingerprint

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build_bank(staff, records)
    print(
        f"[{database}] built {staff:,} lobby managers and {records:,} records in {time.perf_counter() - started:.1f} s"
    )
    # The bank is written straight into the tables, so its summaries are built once here (an
    # import keeps them as it writes).
    rebuild_seconds = timed(summaries_rebuild, month=MONTH)
    print(f"[{database}] month summaries rebuilt from the records: {rebuild_seconds:.2f} s")

    print(f"[{database}] load average before measuring: {load()}")
    floor, floor_cpu = measured(3, group_by_floor, month=MONTH)
    first_run = time.perf_counter()
    result = period_compute(month=MONTH)
    first_seconds = time.perf_counter() - first_run
    again_seconds, again_cpu = measured(3, period_compute, month=MONTH)
    # A correction: 1 % of the managers, spread over the bank, each get one more effective
    # customer; the recomputation rewrites the scorecards that change (their peer groups' ranks).
    corrections = []
    for round_ in range(3):
        correct(round_, staff)
        cpu, started = cpu_seconds(), time.perf_counter()
        corrected = period_compute(month=MONTH)
        corrections.append((time.perf_counter() - started, cpu_seconds() - cpu, corrected.written))
    corrected_seconds, corrected_cpu, written = sorted(corrections, key=lambda run: run[0])[1]
    # The path before the summaries: the same compute with the actuals counted from the records.
    with mock.patch.object(selectors, "actuals", actuals_from_records):
        records_seconds = measured(3, period_compute, month=MONTH)[0]
    threshold = Decimal("10000")
    parts = {
        "actuals (summaries)": median_of(3, lambda: timed(actuals, month=MONTH, effective_threshold=threshold)),
        "actuals (records)": median_of(
            3, lambda: timed(actuals_from_records, month=MONTH, effective_threshold=threshold)
        ),
        "actuals (summaries, other effective threshold)": median_of(
            3, lambda: timed(actuals, month=MONTH, effective_threshold=Decimal("20000"))
        ),
    }
    scheme = selectors.scheme_data(selectors.scheme_current())
    staff_frame = selectors.engine_staff(month=MONTH, position="lobby_manager")
    inputs = {
        "period": MONTH,
        "staff": staff_frame,
        "actuals": actuals(month=MONTH, effective_threshold=scheme.effective_threshold),
        "absences": selectors.engine_absences(month=MONTH, staff_ids=staff_frame["staff_id"]),
        "targets": selectors.engine_targets(month=MONTH),
        "history": selectors.engine_history(month=MONTH, months=3),
        "cases": selectors.engine_cases(month=MONTH),
        "scheme": scheme,
    }
    parts["input_fingerprint"] = median_of(3, lambda: timed(input_fingerprint, **inputs))
    print(
        f"[{database}] floor, one GROUP BY staff over the month's four record tables: {floor:.3f} s wall, "
        f"{floor_cpu:.3f} CPU-s (median of 3)"
    )
    print(
        f"[{database}] compute_scorecards {MONTH:%Y-%m}: {first_seconds:.2f} s first run "
        f"({first_seconds / floor:.1f}× the floor), recompute {again_seconds:.2f} s wall "
        f"({again_seconds / floor:.1f}× the floor), {again_cpu:.2f} CPU-s ({again_cpu / floor_cpu:.1f}× the floor's "
        f"CPU; median of 3) — {result.scorecards:,} scorecards, {result.flagged} bottom flags, {records:,} records"
    )
    print(
        f"[{database}] recompute after a correction of {staff // 100:,} managers' records: "
        f"{corrected_seconds:.2f} s wall, {corrected_cpu:.2f} CPU-s (median of 3) — {written.updated:,} scorecards "
        f"updated, {written.unchanged:,} unchanged"
    )
    goals = []
    if staff >= 20000:
        goals.append(("≤ 1.5 s at 20,000 managers", again_seconds <= 1.5, f"{again_seconds:.2f} s"))
        goals.append(
            ("≤ 1.5 s at 20,000 managers after a correction", corrected_seconds <= 1.5, f"{corrected_seconds:.2f} s")
        )
    goals.append(("≤ 2× the floor", again_seconds <= 2 * floor, f"{again_seconds / floor:.1f}×"))
    for goal, met, figure in goals:
        print(f"[{database}] GOAL {goal}: {figure} — {'MET' if met else 'NOT MET'} (load {load()})")
    print(
        f"[{database}] the same recompute with the actuals counted from the records (the path before the "
        f"summaries): {records_seconds:.2f} s ({records_seconds / floor:.1f}× the floor)"
    )
    for name, seconds in parts.items():
        print(f"[{database}]   {name}: {seconds:.3f} s")
    naive_seconds = naive_sample(MONTH, 1000)
    per_manager_real = again_seconds / staff
    per_manager_naive = naive_seconds / 1000
    print(
        f"[{database}] naive ORM aggregates per staff member: {naive_seconds:.2f} s for 1,000 managers "
        f"→ {per_manager_naive * staff:.0f} s projected for {staff:,}; the real path is "
        f"{per_manager_naive / per_manager_real:.0f}× faster per manager"
    )
    print(f"[{database}] peak memory {peak_rss_mb():.0f} MB (target ≤ 2048 MB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--staff", type=int, default=20000)
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-name", default=PG_NAME, help="the throwaway PostgreSQL database (dropped after)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.staff, args.records)
        return
    for database in ["sqlite", "postgres"] if args.database == "both" else [args.database]:
        run_child(database, args.staff, args.records, pg_name=args.pg_name)


if __name__ == "__main__":
    main()
