"""Benchmark: a month of PDF scorecards for a large bank, the real path against the naive one.

    .venv/bin/python bench/bench_pdf.py [--staff 1000] [--sample 50] [--workers N] [--keep]
        [--redis redis://127.0.0.1:6379/8 | --no-celery] [--celery-branch 100000]

Builds a throwaway SQLite bank (10 tier-1 branches, sub-branches of 25 lobby managers, 12
months of scorecards inserted directly, write-ups drafted by the real generator), then renders
the last month with `reports.pdf.run.render_month` — every person's PDF and every
sub-branch's pack — and, in the same run, the naive path on a sample: for each person, their
data read alone and a fresh `HTML(string=...).write_pdf()` with the installed CJK font. Prints
scorecards per second for both, the ratio, the total time and the peak memory.

Then, unless --no-celery, the scaling on real Celery workers over Redis (`--redis`, db 8 by
default; a queue of its own): the same batch — the whole bank's sub-branches by default
(`--celery-branch 100000`; a tier-1 branch's 100 scorecards run 8–16 s, too short to tell 1.8×
from noise on two shared vCPUs), rendered with
`render_month(use_celery=True)` — on one prefork worker with concurrency 1, then on one with
concurrency 2 (what the Procfile runs). Each worker is started, then left to settle (its start-up
CPU is not counted); the batch's wall time and the CPU of the worker's processes are measured.

The machine is shared, so CPU seconds (user + sys) are printed beside wall times: the steady
figure. Goals (docs/benchmarks.md, "PDF scorecards", issue 15): ≥ 10 scorecards/s with 2
processes, which on 2 cores means ≤ 0.2 CPU-s per scorecard (the parent's share included);
≥ 3× the naive path; ≤ 1.5 GB; 2 Celery worker processes ≥ 1.8× one, and the CPU per PDF the
same with 1 and 2 (within 10 %: no serialisation, no shared lock, no per-task setup). Each goal
is printed with MET or MISSED; the exit status is 1 when one is missed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATE = 10.0
TARGET_CPU = 0.2  # CPU-s per scorecard: 10/s on 2 cores
TARGET_RATIO = 3.0
TARGET_RSS_MB = 1536
TARGET_SCALING = 1.8  # 2 Celery worker processes against one
TARGET_CPU_SPREAD = 1.10  # CPU per PDF with 2 workers against 1
REDIS_URL = "redis://127.0.0.1:6379/8"
GRADE_FLOORS = [("excellent", 100), ("good", 85), ("pass", 60), ("fail", 0)]
MONTHS = 12
PER_SUB_BRANCH = 25
OUTLETS_PER_SUB_BRANCH = 5
TIER1 = 10
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水", "义乌"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫斌宇浩凯健俊帆帅旭宁"


def bench_environment(database: Path, redis_url: str | None = None) -> None:
    """The throwaway database, the bench's broker if any, and keys of the run's own: settings
    refuse the public development keys when DEBUG is off, and the benchmark runs with DEBUG off,
    as production does. With a broker, anything sent without a queue goes to one no worker
    reads (the rendering is sent to a queue of its own)."""
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("CELERY_RESULT_BACKEND", None)
    if redis_url:
        os.environ["CELERY_BROKER_URL"] = os.environ["CELERY_RESULT_BACKEND"] = redis_url
        os.environ["CELERY_QUEUE"] = f"lobbystar-bench-pdf-unread-{uuid.uuid4().hex[:10]}"
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
    os.environ.setdefault("CUSTOMER_REF_KEY", "bench-" + secrets.token_urlsafe(32))


def setup_django(database: Path, redis_url: str | None = None) -> None:
    bench_environment(database, redis_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def month_list(last: datetime.date, count: int) -> list[datetime.date]:
    from core.months import month_add

    return [month_add(last, offset) for offset in range(-(count - 1), 1)]


def build_bank(*, staff_count: int, months: list[datetime.date], seed: int = 7) -> dict:
    """Branches, lobby managers and 12 months of scorecards, written in bulk."""
    from django.utils import timezone

    from appraisals.models import Period, PeriodStatus, Scorecard
    from appraisals.selectors import scheme_current, scheme_data
    from staff.models import Assignment, Branch, Level, Staff

    rng = random.Random(seed)
    scheme = scheme_current()
    items = scheme_data(scheme).items
    head = Branch.objects.create(code="100000", name="浙东城市商业银行", level=Level.HEAD_OFFICE, path="/100000/")
    sub_count = max(1, -(-staff_count // PER_SUB_BRANCH))
    tier1 = []
    for index in range(min(TIER1, sub_count)):
        code = f"{11 + index}0000"
        tier1.append(
            Branch(code=code, name=f"{CITIES[index]}分行", level=Level.BRANCH, parent=head, path=f"/100000/{code}/")
        )
    Branch.objects.bulk_create(tier1)
    tier1 = list(Branch.objects.filter(level=Level.BRANCH).order_by("code"))
    subs = []
    for index in range(sub_count):
        parent = tier1[index % len(tier1)]
        code = f"{parent.code[:2]}{index // len(tier1) + 1:02d}00"
        subs.append(
            Branch(
                code=code,
                name=f"{CITIES[index % len(tier1)]}第{index // len(tier1) + 1}支行",
                level=Level.SUB_BRANCH,
                parent=parent,
                path=f"{parent.path}{code}/",
            )
        )
    Branch.objects.bulk_create(subs)
    subs = list(Branch.objects.filter(level=Level.SUB_BRANCH).order_by("code"))
    outlets = []
    for sub in subs:
        for number in range(1, OUTLETS_PER_SUB_BRANCH + 1):
            code = f"{sub.code[:4]}{number:02d}"
            outlets.append(
                Branch(code=code, name=f"第{number}营业部", level=Level.OUTLET, parent=sub, path=f"{sub.path}{code}/")
            )
    Branch.objects.bulk_create(outlets)
    outlets = list(Branch.objects.filter(level=Level.OUTLET).select_related("parent__parent").order_by("code"))

    people = []
    for number in range(staff_count):
        outlet = outlets[(number // (PER_SUB_BRANCH // OUTLETS_PER_SUB_BRANCH)) % len(outlets)]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        since = datetime.date(rng.randint(2012, 2024), rng.randint(1, 12), 1)
        people.append(
            Staff(
                employee_no=f"E{number + 1:05d}",
                name=name,
                branch=outlet,
                position="lobby_manager",
                position_since=since,
                status="active",
            )
        )
    Staff.objects.bulk_create(people, batch_size=2000)
    people = list(Staff.objects.select_related("branch__parent__parent").order_by("employee_no"))
    Assignment.objects.bulk_create(
        [
            Assignment(
                staff=member,
                branch=member.branch,
                position=member.position,
                position_since=member.position_since,
                status="active",
                valid_from=datetime.date(1900, 1, 1),
            )
            for member in people
        ],
        batch_size=2000,
    )

    ability = {member.pk: rng.gauss(0.95, 0.18) for member in people}
    now = timezone.now()
    for month in months:
        period = Period.objects.create(
            month=month, status=PeriodStatus.COMPUTED, scheme=scheme, computed_at=now, scorecard_count=len(people)
        )
        cards = [_card(member, period, scheme, items, ability[member.pk], rng, now) for member in people]
        groups: dict[int, list] = {}
        for card in cards:
            groups.setdefault(card.peer_group_id, []).append(card)
        for group in groups.values():
            ranked = sorted((card for card in group if not card.exempt), key=lambda card: -card.score)
            for position, card in enumerate(ranked):
                card.rank = 1 + sum(1 for other in ranked[:position] if other.score > card.score)
                card.group_size = len(ranked)
                card.percentile = (
                    Decimal(card.rank - 1) / (len(ranked) - 1) if len(ranked) > 1 else Decimal(0)
                ).quantize(Decimal("0.0001"))
            for card in group:
                card.group_size = len(ranked)
            cutoff = ranked[-max(1, len(ranked) // 20) :] if len(ranked) >= 8 else []
            for card in cutoff:
                card.bottom_flag = card.score < 60
        Scorecard.objects.bulk_create(cards, batch_size=1000)
    return {"people": people, "sub_branches": len(subs)}


def _card(member, period, scheme, items, ability, rng, now):
    from appraisals.models import Scorecard

    share = max(0.1, rng.gauss(ability, 0.08))
    absent = rng.random() < 0.03
    present = rng.randint(3, 14) if absent else 30 if period.month.month in (4, 6, 9, 11) else 31
    days = 30 if period.month.month in (4, 6, 9, 11) else (28 if period.month.month == 2 else 31)
    present = min(present, days)
    rows, base = [], Decimal(0)
    for item in items:
        if item.method == "ratio":
            target = float(item.target) * present / days
            actual = round(target * share * rng.uniform(0.85, 1.15), 4 if item.code == "deposits" else 0)
            completion = actual / target if target else 0
            fraction = min(completion, float(item.cap))
        elif item.method == "band":
            actual = min(1.0, max(0.6, rng.gauss(0.93 + (share - 1) * 0.1, 0.03)))
            fraction = completion = min(1.0, max(0.0, (actual - 0.8) / 0.2))
            target = None
        else:
            actual = min(100.0, max(40.0, rng.gauss(85 * share, 8)))
            fraction = completion = actual / 100
            target = None
        points = (Decimal(str(item.weight)) * Decimal(str(fraction))).quantize(Decimal("0.01"))
        base += points
        rows.append(
            {
                "code": item.code,
                "weight": str(item.weight),
                "actual": actual,
                "target": None if target is None else round(target, 4),
                "completion": round(completion, 4),
                "assessed": True,
                "points": float(points),
            }
        )
    praise = rng.choice([0, 0, 0, 1, 2])
    complaints = 1 if rng.random() < 0.04 else 0
    major = 1 if rng.random() < 0.005 else 0
    bonus = Decimal(min(praise, 5))
    deduction = Decimal(5 * complaints)
    score = max(Decimal(0), base + bonus - deduction).quantize(Decimal("0.01"))
    grade = "fail" if major else next(code for code, floor in GRADE_FLOORS if score >= floor)
    outlet = member.branch
    by_code = {row["code"]: row for row in rows}
    return Scorecard(
        period=period,
        staff=member,
        branch=outlet,
        peer_group=outlet.parent.parent,
        branch_path=outlet.path,
        scheme=scheme,
        input_fingerprint="bench",
        computed_at=now,
        days_in_month=days,
        present_days=present,
        accounts=int(by_code["accounts"]["actual"]),
        effective=int(by_code["effective"]["actual"]),
        ebanking=int(by_code["ebanking"]["actual"]),
        deposits=Decimal(str(by_code["deposits"]["actual"])).quantize(Decimal("0.0001")),
        deposits_total=(Decimal(str(by_code["deposits"]["actual"])) * Decimal("1.6")).quantize(Decimal("0.0001")),
        satisfaction=Decimal(str(by_code["satisfaction"]["actual"])).quantize(Decimal("0.0001")),
        mystery=Decimal(str(by_code["mystery"]["actual"])).quantize(Decimal("0.01")),
        praise=praise,
        complaints=complaints,
        major_complaints=major,
        items=rows,
        base=base,
        bonus=bonus,
        deduction=deduction,
        score=score,
        grade=grade,
        veto=bool(major),
        exempt=present < 15,
        probation=False,
        group_size=0,
        rolling=score,
        eligible=present >= 15,
    )


def naive_pdf(card) -> bytes:
    """The naive path: this person's data read alone, a fresh HTML, a fresh font setup, the
    installed (uncut) CJK font, one write_pdf."""
    from weasyprint import HTML

    from reports.pdf import render
    from reports.pdf.data import month_pages

    month = month_pages(period=card.period, staff_ids=[card.staff_id])
    html = render.document_html(month=month, units=[], own_pages=month.pages, language="zh-hans")
    html = html.replace(render.FACES_PLACEHOLDER, "").replace(render.FAMILY_PLACEHOLDER, "'Noto Sans CJK SC'")
    return HTML(string=html).write_pdf()


def naive_run(cards) -> tuple[float, float]:
    """Wall and CPU seconds to render `cards` the naive way."""
    started, cpu = time.perf_counter(), time.process_time()
    for card in cards:
        naive_pdf(card)
    return time.perf_counter() - started, time.process_time() - cpu


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


# --- Celery scaling ----------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + sys) of a process and its children (a prefork worker's pool), living or ended."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), sum(int(value) for value in fields[11:15]) / CLOCK_TICKS)
    total, wanted = 0.0, {pid}
    while wanted:
        total += sum(stats[member][1] for member in wanted if member in stats)
        wanted = {child for child, (parent, _cpu) in stats.items() if parent in wanted}
    return total


def celery_worker(*, redis_url: str, queue: str, concurrency: int, database: Path) -> subprocess.Popen:
    """A prefork worker as production runs it (Procfile), on the bench's database and queue."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", str(concurrency)]
    command += ["-n", f"{queue}-{concurrency}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    command += ["--prefetch-multiplier", "1", "-l", "WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def settle(pid: int, *, quiet: float = 0.05, timeout: float = 180) -> None:
    """Waits until a started worker stops using CPU: it has imported, connected and warmed up."""
    deadline = time.monotonic() + timeout
    last = tree_cpu_seconds(pid)
    time.sleep(2)
    while time.monotonic() < deadline:
        time.sleep(1)
        now = tree_cpu_seconds(pid)
        if now - last < quiet:
            return
        last = now
    raise RuntimeError("the Celery worker did not settle")


def celery_run(*, period, branch_code: str, folder: Path, concurrency: int, redis_url: str, database: Path):
    """The batch on one worker with `concurrency` processes: (scorecards, wall s, worker CPU-s)."""
    from reports.pdf.run import render_month

    queue = f"lobbystar-bench-pdf-{uuid.uuid4().hex[:10]}"
    worker = celery_worker(redis_url=redis_url, queue=queue, concurrency=concurrency, database=database)
    try:
        settle(worker.pid)
        if worker.poll() is not None:
            raise RuntimeError(f"the Celery worker stopped: {worker.stderr.read().decode()[-2000:]}")
        cpu_before = tree_cpu_seconds(worker.pid)
        started = time.perf_counter()
        result = render_month(
            period=period,
            folder=folder,
            branch_code=branch_code,
            force=True,
            use_celery=True,
            queue=queue,
            timeout=1800,
        )
        seconds = time.perf_counter() - started
        cpu = tree_cpu_seconds(worker.pid) - cpu_before
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return result.scorecards + result.packs, result.scorecards, seconds, cpu


def celery_scaling(*, period, branch_code: str, folder: Path, redis_url: str, database: Path) -> dict:
    """One worker process, then two, on the same batch; CPU is the workers' own."""
    figures = {}
    for concurrency in (1, 2):
        files, scorecards, seconds, cpu = celery_run(
            period=period,
            branch_code=branch_code,
            folder=folder / f"celery-{concurrency}",
            concurrency=concurrency,
            redis_url=redis_url,
            database=database,
        )
        figures[concurrency] = {"scorecards": scorecards, "files": files, "seconds": seconds, "cpu": cpu}
        print(
            f"celery, {concurrency} worker process{'es' if concurrency > 1 else ''}: {scorecards} scorecards "
            f"+ {files - scorecards} packs in {seconds:.1f} s = {scorecards / seconds:.1f} scorecards/s "
            f"({cpu / scorecards:.3f} worker CPU-s per scorecard); load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--staff", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=50, help="people rendered the naive way")
    parser.add_argument("--workers", type=int, default=None, help="default: every core")
    parser.add_argument("--keep", action="store_true", help="keep the database and the PDFs")
    parser.add_argument("--redis", default=REDIS_URL, help="Redis for the Celery scaling (default: db 8)")
    parser.add_argument("--no-celery", action="store_true", help="skip the Celery scaling")
    parser.add_argument(
        "--celery-branch",
        default="100000",
        help="the branch whose sub-branches are rendered on Celery (the head office: all)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="lobbystar-bench-pdf-"))
    try:
        started = time.perf_counter()
        setup_django(folder / "bench.sqlite3", None if args.no_celery else args.redis)
        from django.db import connection

        from appraisals.models import Period, Scorecard, WriteUpScope
        from appraisals.services.writeups import writeups_generate
        from reports.pdf.run import Progress, render_month

        last = datetime.date(2026, 10, 1)
        months = month_list(last, MONTHS)
        bank = build_bank(staff_count=args.staff, months=months)
        period = Period.objects.get(month=last)
        built = time.perf_counter()
        summary = writeups_generate(period=period, scope=WriteUpScope.MONTH)
        drafted = time.perf_counter()
        print(
            f"bank: {args.staff} lobby managers, {bank['sub_branches']} sub-branches, {MONTHS} months "
            f"({built - started:.1f} s); {summary.created} write-ups drafted in {drafted - built:.1f} s",
            flush=True,
        )

        # The naive sample is split around the real run, so a change in the machine's load
        # during the benchmark weighs on both paths alike.
        sample = list(Scorecard.objects.filter(period=period).select_related("period").order_by("?")[: args.sample])
        half = len(sample) // 2
        naive_seconds, naive_cpu = naive_run(sample[:half])
        load_before = os.getloadavg()[0]

        connection.close()
        cpu_before = cpu_seconds()
        real_started = time.perf_counter()
        result = render_month(
            period=period,
            folder=folder / "real",
            force=True,
            workers=args.workers,
            use_celery=False,
            progress=Progress(stream=sys.stderr),
        )
        real_seconds = time.perf_counter() - real_started
        real_cpu = cpu_seconds() - cpu_before
        real_rate = result.scorecards / real_seconds

        seconds, cpu = naive_run(sample[half:])
        naive_seconds, naive_cpu = naive_seconds + seconds, naive_cpu + cpu
        naive_rate = len(sample) / naive_seconds
        own_mb, child_mb = peak_rss_mb()
        ratio = real_rate / naive_rate

        print(
            f"real path:  {result.scorecards} scorecards + {result.packs} packs in {real_seconds:.1f} s "
            f"with {result.workers} processes = {real_rate:.1f} scorecards/s "
            f"({real_cpu / result.scorecards:.3f} CPU-s per scorecard, its pack page included)"
        )
        print(
            f"naive path: {len(sample)} scorecards in {naive_seconds:.1f} s = {naive_rate:.2f} scorecards/s "
            f"({naive_cpu / len(sample):.3f} CPU-s per scorecard)"
        )
        print(
            f"ratio: {ratio:.1f}x (CPU per scorecard: {naive_cpu / len(sample) / (real_cpu / result.scorecards):.1f}x)"
        )
        print(
            f"total time: {time.perf_counter() - started:.1f} s; "
            f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}"
        )
        print(
            f"peak RSS: main process {own_mb:.0f} MB, largest worker {child_mb:.0f} MB "
            f"(all together at most {own_mb + child_mb * result.workers:.0f} MB)"
        )
        real_cpu_each = real_cpu / result.scorecards
        checks = [
            (
                real_rate >= TARGET_RATE,
                f"≥ {TARGET_RATE:g} scorecards/s with {result.workers} processes",
                f"{real_rate:.1f}/s",
            ),
            (real_cpu_each <= TARGET_CPU, f"≤ {TARGET_CPU:g} CPU-s per scorecard", f"{real_cpu_each:.3f}"),
            (ratio >= TARGET_RATIO, f"≥ {TARGET_RATIO:g}× naive", f"{ratio:.1f}×"),
            (
                own_mb + child_mb * result.workers <= TARGET_RSS_MB,
                f"≤ {TARGET_RSS_MB} MB",
                f"{own_mb + child_mb * result.workers:.0f} MB",
            ),
        ]
        if not args.no_celery:
            connection.close()
            figures = celery_scaling(
                period=period,
                branch_code=args.celery_branch,
                folder=folder,
                redis_url=args.redis,
                database=folder / "bench.sqlite3",
            )
            one, two = figures[1], figures[2]
            scaling = (two["scorecards"] / two["seconds"]) / (one["scorecards"] / one["seconds"])
            spread = (two["cpu"] / two["scorecards"]) / (one["cpu"] / one["scorecards"])
            print(f"celery scaling: 2 worker processes {scaling:.2f}× one; CPU per PDF 2 against 1: {spread:.2f}×")
            checks += [
                (scaling >= TARGET_SCALING, f"2 Celery worker processes ≥ {TARGET_SCALING:g}× one", f"{scaling:.2f}×"),
                (
                    spread <= TARGET_CPU_SPREAD,
                    f"CPU per PDF with 2 Celery workers ≤ {TARGET_CPU_SPREAD:g}× with 1",
                    f"{spread:.2f}×",
                ),
            ]
        print(f"goals (load average now {os.getloadavg()[0]:.1f}; wall-time goals assume a quiet machine):")
        for passed, label, figure in checks:
            print(f"  {'MET   ' if passed else 'MISSED'}  {label}: {figure}")
        if args.keep:
            print(f"kept: {folder}")
        return 0 if all(passed for passed, _label, _figure in checks) else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
