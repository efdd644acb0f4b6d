"""How fast a big deposits file imports, and how much memory it takes.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--database sqlite|postgres|both]

For each database it sets up a throwaway one (a temporary SQLite file; a PostgreSQL database
`lobbystar_bench` or $BENCH_PG_NAME, created and dropped here), migrates it, imports a small organisation
(a head office, branches, sub-branches, outlets and some hundreds of lobby managers), writes
a deposits CSV of N rows dated in one past month, and times `import_file("deposits", path)`
(after a dry run of the same file, timed too: the checking alone).
Each database is measured in a process of its own, so the peak RSS is that import's.
Then, in the same process, the floor of issue 15: the rows as stored, written by the
database's own bulk path (COPY; executemany on SQLite) into a copy of the real table with its
indexes and constraints, committed. It prints wall and CPU seconds (ours, and the PostgreSQL
backend's), the ratios to the floor, and whether the goal is met: ≤ 3× the floor and ≤ 8 s
(issue 15), ≤ 1.5 GB peak. On PostgreSQL it also times a COPY of the CSV into a bare table.
BENCH_PROFILE=N prints the N costliest functions of the import (cProfile, CPU clock).
"""

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = os.environ.get("BENCH_PG_NAME", "lobbystar_bench")  # one of your own when the machine is shared
GOAL_TIMES_FLOOR = 3  # issue 15
GOAL_SECONDS = 8
GOAL_ROWS = 1_000_000
TARGET_RSS_MB = 1536


def _month() -> datetime.date:
    """The month before last: in the past whatever today is, and not finalized."""
    last_month = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return (last_month - datetime.timedelta(days=1)).replace(day=1)


def write_organisation(folder: Path, *, managers: int) -> tuple[Path, Path, list[str]]:
    branches = folder / "branches.csv"
    staff = folder / "staff.csv"
    lines = ["code,name,parent_code,level", "HO,总行,,head_office"]
    outlets = []
    for b in range(1, 5):
        lines.append(f"B{b:02d},第{b}分行,HO,branch")
        for s in range(1, 6):
            sub = f"S{b:02d}{s:02d}"
            lines.append(f"{sub},第{b}-{s}支行,B{b:02d},sub_branch")
            for o in range(1, 6):
                outlets.append(f"O{b:02d}{s:02d}{o:02d}")
                lines.append(f"{outlets[-1]},第{b}-{s}-{o}网点,{sub},outlet")
    branches.write_text("\n".join(lines) + "\n", encoding="utf-8")
    employee_nos = [f"E{i:05d}" for i in range(1, managers + 1)]
    staff.write_text(
        "employee_no,name,branch_code,position,position_since\n"
        + "".join(
            f"{no},员工{no},{outlets[i % len(outlets)]},lobby_manager,2020-01-01\n" for i, no in enumerate(employee_nos)
        ),
        encoding="utf-8",
    )
    return branches, staff, employee_nos


def write_deposits(path: Path, *, rows: int, employee_nos: list[str], seed: int = 20260301) -> None:
    """N deposits in one past month; amounts are plain decimals so PostgreSQL's COPY takes them too."""
    generator = random.Random(seed)
    month = _month()
    days = [(month + datetime.timedelta(days=d)).isoformat() for d in range(28)]
    products = ["定期", "活期", "大额存单", "通知存款", ""]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("ref,date,employee_no,customer_ref,amount,product\n")
        chunk = []
        for i in range(rows):
            chunk.append(
                f"DEP{i:010d},{days[i % 28]},{employee_nos[generator.randrange(len(employee_nos))]},"
                f"C{generator.randrange(rows // 3 + 1):09d},{generator.randrange(10_000, 500_000_000) / 100:.2f},"
                f"{products[i % 5]}\n"
            )
            if len(chunk) == 50_000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))


def child(database: str, folder: Path) -> dict:
    """Runs in its own process: migrate, import the organisation, then time the deposits."""
    sys.path.insert(0, str(ROOT))
    if database == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # DEBUG stays off as in production (no query log); the keys are the benchmark's own.
    os.environ.setdefault("SECRET_KEY", "bench-import-secret-key")
    os.environ.setdefault("CUSTOMER_REF_KEY", "bench-import-customer-key")
    import django

    django.setup()
    from django.core.management import call_command

    from metrics.services import import_file

    call_command("migrate", verbosity=0)
    for kind in ("branches", "staff"):
        result = import_file(kind, folder / f"{kind}.csv")
        assert result.ok, result.errors[:5]
    # The check alone (a dry run reads, parses and validates everything, writes nothing),
    # then the import: the difference is the writing.
    started, cpu = time.perf_counter(), time.process_time()
    checked = import_file("deposits", folder / "deposits.csv", dry_run=True)
    check_seconds, check_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert checked.ok, [str(error) for error in checked.errors[:5]]
    # The month summaries are counted again inside the import's transaction: timed apart.
    from metrics import importers

    refresh, summaries_seconds = importers.summaries_refresh, []

    def timed_refresh(**kwargs):
        begun = time.perf_counter()
        refresh(**kwargs)
        summaries_seconds.append(time.perf_counter() - begun)

    importers.summaries_refresh = timed_refresh
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
    server = _server_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = import_file("deposits", folder / "deposits.csv")
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    server = _server_cpu() - server
    if profiler:
        import pstats

        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(int(os.environ["BENCH_PROFILE"]))
    importers.summaries_refresh = refresh
    assert result.ok, [str(error) for error in result.errors[:5]]
    floor = _indexed_floor()
    figures = {
        "database": database,
        "rows": result.rows,
        "summary": result.summary,
        "seconds": round(seconds, 2),
        "cpu": round(cpu, 2),
        "server_cpu": round(server, 2),
        "check_seconds": round(check_seconds, 2),
        "check_cpu": round(check_cpu, 2),
        "summaries_seconds": round(sum(summaries_seconds), 2),
        "rows_per_second": round(result.rows / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average": round(os.getloadavg()[0], 1),
        "floor_seconds": round(floor["seconds"], 2),
        "floor_cpu": round(floor["cpu"] + floor["server_cpu"], 2),
        "times_floor": round(seconds / floor["seconds"], 2),
        "cpu_times_floor": round((cpu + server) / max(floor["cpu"] + floor["server_cpu"], 0.01), 2),
    }
    if database == "postgres":
        figures["bare_copy_seconds"] = round(_copy_floor(folder / "deposits.csv"), 2)
    return figures


def _server_cpu() -> float:
    """CPU seconds (user + system) PostgreSQL's backend serving this connection has used so far:
    the server's share of the work, which the process's own CPU time does not hold. (The
    database runs on this machine, so /proc tells.) 0 on SQLite, whose work is in-process."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


FLOOR_TABLE = "bench_floor_deposits"
FLOOR_COLUMNS = "ref, date, staff_id, batch_id, customer_hash, amount, product"


def _indexed_floor() -> dict:
    """The floor of issue 15: the same rows, as stored, written by the database's own bulk path
    into a copy of the real table with all its indexes and constraints (the deferred foreign key
    to staff included), committed. PostgreSQL: one COPY. SQLite: one executemany of the rows
    as tuples on the raw connection. Times wall and CPU (ours + the server's)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            data = bytearray()
            with cursor.cursor.copy(f"COPY (SELECT {FLOOR_COLUMNS} FROM metrics_deposit) TO STDOUT") as copy:
                for block in copy:
                    data += block
            cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
            cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE metrics_deposit INCLUDING ALL)")
            cursor.execute(
                f"ALTER TABLE {FLOOR_TABLE} ADD FOREIGN KEY (staff_id) REFERENCES staff_staff (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
        else:
            cursor.execute(f"SELECT {FLOOR_COLUMNS} FROM metrics_deposit")
            data = cursor.fetchall()
            cursor.execute(f'DROP TABLE IF EXISTS "{FLOOR_TABLE}"')
            cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'metrics_deposit' AND sql != ''")
            statements = sorted(cursor.fetchall(), key=lambda found: found[0] != "table")
            for _type, name, sql in statements:
                cursor.execute(
                    sql.replace('"metrics_deposit"', f'"{FLOOR_TABLE}"').replace(f'"{name}"', f'"bf_{name}"')
                )
    server = _server_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {FLOOR_TABLE} ({FLOOR_COLUMNS}) FROM STDIN") as copy:
                view = memoryview(data)
                for begin in range(0, len(view), 1 << 20):
                    copy.write(view[begin : begin + (1 << 20)])
        else:
            cursor.connection.executemany(
                f'INSERT INTO "{FLOOR_TABLE}" ({FLOOR_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)', data
            )
    floor = {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    floor["server_cpu"] = _server_cpu() - server
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {FLOOR_TABLE}")
    return floor


def _copy_floor(path: Path) -> float:
    """PostgreSQL's own COPY of the same CSV into a bare table with no index: what reading the
    rows alone costs the server."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_deposits")
        cursor.execute(
            "CREATE TABLE bench_bare_deposits (ref text, date date, employee_no text, customer_ref text, "
            "amount numeric, product text)"
        )
        started = time.perf_counter()
        with (
            path.open("rb") as data,
            cursor.cursor.copy("COPY bench_bare_deposits FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while block := data.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bare_deposits")
    return seconds


def _postgres(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def run(database: str, folder: Path) -> dict:
    (folder / "bench.sqlite3").unlink(missing_ok=True)  # every run starts from an empty database
    if database == "postgres":
        _postgres(f"DROP DATABASE IF EXISTS {PG_NAME}")
        _postgres(f"CREATE DATABASE {PG_NAME}")
    try:
        answer = subprocess.run(
            [sys.executable, __file__, "--child", database, "--folder", str(folder)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if answer.stderr.strip() and os.environ.get("BENCH_PROFILE"):
            print(answer.stderr)
    except subprocess.CalledProcessError as exc:
        sys.exit(f"{database}: the import failed\n{exc.stdout}\n{exc.stderr}")
    finally:
        if database == "postgres":
            _postgres(f"DROP DATABASE IF EXISTS {PG_NAME}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def report(figures: dict) -> str:
    database = figures["database"]
    floor_how = "one COPY" if database == "postgres" else "one executemany"
    lines = [
        f"{database:<8} {figures['rows']:>9,} rows ({figures['summary']}): {figures['seconds']:.2f} s wall, "
        f"{figures['cpu'] + figures['server_cpu']:.2f} s CPU (ours {figures['cpu']:.2f} + server "
        f"{figures['server_cpu']:.2f}), {figures['rows_per_second']:,} rows/s",
        f"         floor ({floor_how} of the same rows into the real table with its indexes and constraints, "
        f"same run): {figures['floor_seconds']:.2f} s wall, {figures['floor_cpu']:.2f} s CPU "
        f"→ ours ×{figures['times_floor']:.1f} wall, ×{figures['cpu_times_floor']:.1f} CPU",
        f"         checking alone (dry run) {figures['check_seconds']:.2f} s wall, {figures['check_cpu']:.2f} s CPU; "
        f"month summaries {figures['summaries_seconds']:.2f} s; peak RSS {figures['peak_rss_mb']:,} MB; "
        f"load {figures['load_average']}"
        + (
            f"; bare-table COPY of the CSV {figures['bare_copy_seconds']:.2f} s"
            if "bare_copy_seconds" in figures
            else ""
        ),
    ]
    checks = [
        (f"×{figures['times_floor']:.1f} the floor ≤ ×{GOAL_TIMES_FLOOR}", figures["times_floor"] <= GOAL_TIMES_FLOOR),
        (f"{figures['seconds']:.1f} s ≤ {GOAL_SECONDS} s", figures["seconds"] <= GOAL_SECONDS),
        (f"{figures['peak_rss_mb']:,} MB ≤ {TARGET_RSS_MB:,} MB", figures["peak_rss_mb"] <= TARGET_RSS_MB),
    ]
    verdict = "MET" if all(ok for _, ok in checks) else "NOT MET"
    if figures["rows"] != GOAL_ROWS:
        verdict += f" (but the goal is for {GOAL_ROWS:,} rows, not {figures['rows']:,})"
    lines.append(
        f"         GOAL (issue 15: ≤ ×{GOAL_TIMES_FLOOR} the floor and ≤ {GOAL_SECONDS} s, wall): {verdict} — "
        + "; ".join(f"{text} {'yes' if ok else 'NO'}" for text, ok in checks)
        + f" (CPU ×{figures['cpu_times_floor']:.1f} the floor's CPU)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--managers", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=1, help="runs per database (the machine may be shared)")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.child, options.folder)))
        return
    databases = ["sqlite", "postgres"] if options.database == "both" else [options.database]
    with tempfile.TemporaryDirectory(prefix="bench-import-") as name:
        folder = Path(name)
        _, _, employee_nos = write_organisation(folder, managers=options.managers)
        started = time.perf_counter()
        write_deposits(folder / "deposits.csv", rows=options.rows, employee_nos=employee_nos)
        size = (folder / "deposits.csv").stat().st_size / 2**20
        print(f"deposits.csv: {options.rows:,} rows, {size:.0f} MB, written in {time.perf_counter() - started:.1f} s")
        for database in databases:
            runs = []
            for _ in range(options.repeat):
                runs.append(run(database, folder))
                print(report(runs[-1]), flush=True)
            if options.repeat > 1:
                best = min(runs, key=lambda figures: figures["seconds"])
                median = sorted(figures["seconds"] for figures in runs)[len(runs) // 2]
                print(
                    f"{database}: best {best['seconds']:.1f} s, median {median:.1f} s of {len(runs)} runs", flush=True
                )


if __name__ == "__main__":
    main()
