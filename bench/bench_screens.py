"""Benchmark: a lobby screen's `data.json` under load (issue: branch leaderboards on screens).

    .venv/bin/python bench/bench_screens.py [--database postgres|sqlite] [--staff 20000]
        [--duration 10] [--connections 16] [--worker-class sync|gthread] [--threads 4]

Builds a throwaway database with a bank of N lobby managers (a sub-branch, 西湖支行, has 50 of
them in six outlets) and September and October computed, makes a screen for that sub-branch,
starts gunicorn with 2 workers (sync by default: the best tail latency measured here) on a
free loopback port, and drives it with wrk for 10 s each, after a 2 s warm-up:

- `data.json` with the screen's current ETag in If-None-Match (every answer a 304);
- `data.json` without it (every answer the full JSON).

Targets (issue 15): ≥ 3,000 requests/s with p99 ≤ 15 ms for the 304s on PostgreSQL; ≥ 400
requests/s for full answers. CPU/req is the CPU time gunicorn's processes spent per answer (from
/proc), DB CPU/req the PostgreSQL server processes' (the two persistent connections): figures that
depend far less than req/s on what else the machine is doing. `--profile N` answers N 304s in
this process through Django's WSGI handler (no gunicorn, no network) and prints the CPU time of
one and where it goes (cProfile). It also times building a payload from the
scorecards (once per month's computation, screen and worker, and again each minute) for the
sub-branch and for the whole bank.
The scorecards are written directly: screens only read them (bench_compute.py times the engine).
"""

import argparse
import datetime
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_NAME = os.environ.get("BENCH_PG_NAME", "lobbystar_bench_screens")
MONTHS = [datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)]
TARGET_304_RPS, TARGET_304_P99_MS, TARGET_200_RPS = 3000, 15.0, 400

ETAG_LUA = """wrk.method = "GET"
wrk.headers["If-None-Match"] = '{etag}'
"""


def psql(sql: str, check: bool = True) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=check)


def build_bank(staff_count: int):
    """Head office → tier-1 branches → sub-branches → outlets, N lobby managers, two months of
    scorecards. Returns the sub-branch the screen is for."""
    from django.utils import timezone

    from appraisals.models import Period, PeriodStatus, Scheme, Scorecard
    from staff.models import Branch, Staff

    rng = random.Random(7)
    head = Branch.objects.create(code="100000", name="总行", level="head_office", path="/100000/")
    tier1s = [
        Branch(code=f"1{i:02d}000", name=f"第{i}分行", level="branch", parent=head, path=f"/100000/1{i:02d}000/")
        for i in range(1, max(3, staff_count // 2000) + 1)
    ]
    Branch.objects.bulk_create(tier1s)
    tier1s = list(Branch.objects.filter(level="branch"))
    subs = []
    for tier1 in tier1s:
        for j in range(1, 41):
            code = f"{tier1.code[:3]}{j:02d}0"
            subs.append(
                Branch(
                    code=code,
                    name=f"第{j}支行",
                    level="sub_branch",
                    parent=tier1,
                    path=f"{tier1.path}{code}/",
                )
            )
    subs[0].name = "西湖支行"
    Branch.objects.bulk_create(subs)
    subs = list(Branch.objects.filter(level="sub_branch").order_by("code"))
    outlets = []
    for sub in subs:
        for k in range(1, 7):
            code = f"{sub.code}{k}"
            name = [
                "文三路营业部",
                "黄龙分理处",
                "古墩路营业部",
                "之江分理处",
                "钱塘新区下沙经济技术开发区分理处",
                "西溪营业部",
            ][k - 1]
            outlets.append(Branch(code=code, name=name, level="outlet", parent=sub, path=f"{sub.path}{code}/"))
    Branch.objects.bulk_create(outlets, batch_size=2000)
    outlets = list(Branch.objects.filter(level="outlet").order_by("code"))
    # 西湖支行 (the first sub-branch) gets 50 lobby managers; the rest of the bank the others.
    screen_outlets = [outlet for outlet in outlets if outlet.parent_id == subs[0].pk]
    other_outlets = [outlet for outlet in outlets if outlet.parent_id != subs[0].pk]
    placed = [screen_outlets[i % len(screen_outlets)] for i in range(50)]
    placed += [other_outlets[i % len(other_outlets)] for i in range(staff_count - 50)]
    surnames = "陈王张李吴徐周金沈朱杨林刘黄胡郑"
    given = "伟强磊军勇杰涛斌婷静敏燕艳丽娟霞芳颖倩雪琳晶欣怡"
    staff = [
        Staff(
            employee_no=f"E{i:06d}",
            name=("欧阳" if i % 97 == 0 else rng.choice(surnames)) + "".join(rng.choices(given, k=2)),
            branch=branch,
            position="lobby_manager",
            position_since=datetime.date(2020, 1, 1),
        )
        for i, branch in enumerate(placed)
    ]
    Staff.objects.bulk_create(staff, batch_size=5000)
    staff = list(Staff.objects.select_related("branch").order_by("employee_no"))
    scheme = Scheme.objects.order_by("-version").first()
    paths = {outlet.pk: outlet.path for outlet in outlets}
    tier1_of = {
        outlet.pk: int(outlet.parent.parent_id)
        for outlet in Branch.objects.filter(level="outlet").select_related("parent")
    }
    for month in MONTHS:
        now = timezone.now()
        period = Period.objects.create(
            month=month,
            status=PeriodStatus.COMPUTED,
            scheme=scheme,
            computed_at=now,
            scorecard_count=len(staff),
        )
        cards = []
        for member in staff:
            share = rng.uniform(0.3, 1.3)
            score = Decimal(min(share, 1.2) * 94).quantize(Decimal("0.01"))
            cards.append(
                Scorecard(
                    period=period,
                    staff=member,
                    branch_id=member.branch_id,
                    peer_group_id=tier1_of[member.branch_id],
                    branch_path=paths[member.branch_id],
                    scheme=scheme,
                    input_fingerprint="0" * 64,
                    computed_at=now,
                    days_in_month=30,
                    present_days=30 if rng.random() > 0.03 else 10,
                    accounts=round(20 * share),
                    effective=round(8 * share),
                    ebanking=round(15 * share),
                    deposits=Decimal(100 * share).quantize(Decimal("0.0001")),
                    deposits_total=Decimal(130 * share).quantize(Decimal("0.0001")),
                    satisfaction=Decimal(min(0.999, 0.8 + share / 6)).quantize(Decimal("0.0001")),
                    praise=0,
                    complaints=int(rng.random() < 0.05),
                    major_complaints=int(rng.random() < 0.005),
                    base=score,
                    bonus=Decimal(0),
                    deduction=Decimal(0),
                    score=score,
                    grade="good",
                    veto=rng.random() < 0.005,
                    exempt=rng.random() < 0.03,
                    group_size=2000,
                    rank=1,
                )
            )
        Scorecard.objects.bulk_create(cards, batch_size=2000)
    # As a database in use would be: statistics gathered, and no autovacuum of the bulk load
    # running during the measurement.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return subs[0], head


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds} s")


def server_cpu_seconds(master: int) -> float:
    """CPU time used so far by gunicorn's master and workers (which this script started)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in [master, *map(int, children)]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """CPU time used so far by the PostgreSQL server processes serving the bench's database (0
    on SQLite, whose work is inside gunicorn's processes)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [PG_NAME])
        pids = [row[0] for row in cursor.fetchall()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def profile_in_process(path: str, etag: str, count: int) -> None:
    """`count` 304s through Django's WSGI handler in this process, the way they were answered
    before (every middleware, the URL resolver, the statement not prepared) and now, interleaved
    so that both see the same machine: CPU per answer of each and their ratio; then cProfile."""
    import cProfile
    import io
    import pstats
    import statistics
    from unittest import mock

    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import override_settings

    from screens import selectors

    now_app = WSGIHandler()
    with override_settings(
        MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != "screens.middleware.ScreenDataMiddleware"]
    ):
        before_app = WSGIHandler()
    base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_IF_NONE_MATCH": etag,
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    statuses = []

    def answer(app):
        body = app({**base, "wsgi.input": io.BytesIO()}, lambda status, headers: statuses.append(status))
        b"".join(body)
        body.close()

    def before():
        with mock.patch.object(selectors, "_live_cursor", connection.cursor):
            for _ in range(count // 5):
                answer(before_app)

    def now():
        for _ in range(count // 5):
            answer(now_app)

    for run in (before, now):
        run()
    assert set(statuses) == {"304 Not Modified"}, set(statuses)
    cpu = {"before": [], "now": []}
    for _ in range(5):
        for name, run in (("before", before), ("now", now)):
            started = time.process_time()
            run()
            cpu[name].append((time.process_time() - started) / (count // 5) * 1e6)
    old, new = statistics.median(cpu["before"]), statistics.median(cpu["now"])
    print(
        f"in-process CPU per 304 (median of 5 interleaved rounds of {count // 5:,}): before (all middleware, "
        f"not prepared) {old:.0f} µs, now {new:.0f} µs: {old / new:.2f}× less"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    now()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    print(out.getvalue())


def wrk(url: str, *, duration: int, connections: int, server: int, script: Path | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script:
        command += ["-s", str(script)]
    cpu_before, db_before = server_cpu_seconds(server), database_cpu_seconds()
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    cpu, db_cpu = server_cpu_seconds(server) - cpu_before, database_cpu_seconds() - db_before
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99_text = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    p99 = float(p99_text.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99_text.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rps,
        "p99_ms": p99,
        "cpu_ms": cpu * 1000 / max(requests, 1),
        "db_cpu_ms": db_cpu * 1000 / max(requests, 1),
        "bad": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
        "output": output,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        choices=["postgres", "sqlite"],
        help="default: PostgreSQL when it answers on 127.0.0.1:5432 (as in production), else SQLite",
    )
    parser.add_argument("--staff", type=int, default=20000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N 304s in this process first")
    options = parser.parse_args()
    if options.database is None:
        ready = shutil.which("pg_isready") and subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False
        )
        options.database = "postgres" if ready and ready.returncode == 0 else "sqlite"
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    folder = Path(tempfile.mkdtemp(prefix="lobbystar-bench-screens-"))
    if options.database == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    else:
        psql(f"DROP DATABASE IF EXISTS {PG_NAME}")
        psql(f"CREATE DATABASE {PG_NAME}")
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("BANK_NAME", "钱塘江商业银行")
    # DEBUG stays off, as in production; the throwaway database needs no secret of its own.
    os.environ.setdefault("SECRET_KEY", "bench-screens-throwaway-key")
    os.environ.setdefault("CUSTOMER_REF_KEY", "bench-screens-throwaway-key")
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from screens import selectors
        from screens.services import screen_create

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        sub, head = build_bank(options.staff)
        print(f"bank: {options.staff:,} lobby managers, 2 months of scorecards ({time.perf_counter() - started:.1f} s)")
        screen, token = screen_create(branch=sub, name="西湖支行大堂", show_deposits=True)
        whole, _whole_token = screen_create(branch=head, name="总行大厅", show_deposits=True)
        for label, which in (
            ("sub-branch (50 staff)", screen),
            (f"whole bank ({options.staff:,} staff)", whole),
        ):
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                selectors.screen_boards(which)
                timings.append(time.perf_counter() - started)
            print(f"building the payload, {label}: {min(timings) * 1000:.1f} ms (best of 3)")

        if options.profile:
            from django.test import Client

            path = f"/screens/{token}/data.json"
            profile_in_process(path, Client().get(path)["ETag"], options.profile)
            selectors.screen_payload_cache_clear()

        port = free_port()
        command = [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            options.worker_class,
            "--log-level",
            "warning",
        ]
        if options.worker_class == "gthread":
            command += ["--threads", str(options.threads)]
        server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz")
        url = f"{base}/screens/{token}/data.json"
        for _ in range(8):  # every worker builds its payload once
            with urllib.request.urlopen(url) as response:
                etag = response.headers["ETag"]
                size = len(response.read())
        request = urllib.request.Request(url, headers={"If-None-Match": etag})
        try:
            urllib.request.urlopen(request)
            raise SystemExit("expected a 304 for the current ETag")
        except urllib.error.HTTPError as error:
            if error.code != 304:
                raise
        script = folder / "etag.lua"
        script.write_text(ETAG_LUA.format(etag=etag))

        print(
            f"gunicorn: 2 workers, {options.worker_class}"
            + (f" × {options.threads} threads" if options.worker_class == "gthread" else "")
            + f"; wrk: 2 threads, {options.connections} connections, {options.duration} s; {options.database}"
        )
        load = {"duration": options.duration, "connections": options.connections, "server": server.pid}
        wrk(url, **{**load, "duration": 2}, script=script)  # warm-up, not counted
        not_modified = wrk(url, **load, script=script)
        full = wrk(url, **load)
        rows = [
            ("data.json, ETag matches (304)", not_modified, TARGET_304_RPS, TARGET_304_P99_MS),
            (f"data.json, full answer (200, {size:,} bytes)", full, TARGET_200_RPS, None),
        ]
        failed = False
        machine_load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, load average {machine_load} (1, 5, 15 min)")
        print(f"{'':44} {'req/s':>9} {'p99':>9} {'CPU/req':>9} {'DB CPU/req':>10}  target")
        for label, result, rps_target, p99_target in rows:
            ok = result["rps"] >= rps_target and (p99_target is None or result["p99_ms"] <= p99_target)
            ok = ok and result["bad"] == 0 and not result["socket_errors"]
            failed |= not ok
            target = f"≥ {rps_target:,}/s" + (f", p99 ≤ {p99_target:.0f} ms" if p99_target else "")
            print(
                f"{label:44} {result['rps']:9,.0f} {result['p99_ms']:7.2f}ms {result['cpu_ms']:7.2f}ms"
                f" {result['db_cpu_ms']:8.2f}ms  {target}: {'met' if ok else 'NOT met'}"
                + (f"  bad answers: {result['bad']}" if result["bad"] else "")
                + (f"  socket errors: {result['socket_errors']}" if result["socket_errors"] else "")
            )
        if failed:
            print(not_modified["output"], full["output"], sep="\n")
            raise SystemExit(1)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if options.database == "postgres":
            from django.db import connections

            connections.close_all()
            psql(f"DROP DATABASE IF EXISTS {PG_NAME}", check=False)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
