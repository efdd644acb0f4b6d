"""The production start end to end: `make prod`'s script starts gunicorn, a Celery worker and
beat (Procfile, honcho) on a PostgreSQL database of its own and Redis, and HR drives a month
through HTTP — compute (on the worker), every sub-branch's sign-off, review by `hr`,
finalize by `hr2`, then the whole month's PDFs as one ZIP (a chord on the worker), twice.

Redis is TEST_REDIS_URL (default database 2) with a queue unique to the run; PostgreSQL is
E2E_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432), where the test creates and drops
a database of its own.
"""

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("E2E_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/2")
MONTH = "2026-10"  # ended: the demo's months end with last month
PASSWORD = "lobbystar-demo"


def _postgres(database: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{POSTGRES_URL}/{database}", connect_timeout=2, autocommit=True)


def _postgres_available() -> bool:
    try:
        _postgres().close()
        return True
    except Exception:
        return False


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_prod_refuses_to_start_without_the_settings_it_needs(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(CELERY_BROKER_URL=REDIS_URL, CUSTOMER_REF_KEY="k", ALLOWED_HOSTS="x", SITE_URL="http://x")
    result = subprocess.run(["bash", "scripts/prod.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "set DATABASE_URL SECRET_KEY" in result.stderr
    env.update(DATABASE_URL="sqlite:///var/x.sqlite3", SECRET_KEY="s")
    result = subprocess.run(["bash", "scripts/prod.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "DATABASE_URL must be a PostgreSQL address" in result.stderr


class Site:
    """The running site: its address, its environment (for commands) and its database."""

    def __init__(self, base: str, env: dict, database: str, log: Path):
        self.base, self.env, self.database, self.log = base, env, database, log

    def query(self, sql: str, *params) -> list[tuple]:
        with _postgres(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def session(self, username: str):
        import requests

        session = requests.Session()
        session.get(f"{self.base}/accounts/login/", timeout=30)
        response = session.post(
            f"{self.base}/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            timeout=30,
        )
        assert response.ok and "/accounts/login/" not in response.url, f"{username} could not sign in"
        return session

    def post(self, session, path: str, data: dict | None = None):
        response = session.post(
            f"{self.base}{path}", data={"csrfmiddlewaretoken": session.cookies["csrftoken"], **(data or {})}, timeout=60
        )
        assert response.status_code == 200, (path, response.status_code)
        return response

    def tail(self) -> str:
        return self.log.read_text("utf-8", "replace")[-4000:] if self.log.exists() else ""


def _manage(env: dict, *args, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _end_group(process: subprocess.Popen, timeout: float = 20) -> None:
    """Ends a process started in a session of its own, and everything it started."""
    for number in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, number)
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    """A PostgreSQL database of its own holding the demo bank (two months) and `hr2`, and the
    environment production runs with, on a Redis queue of its own."""
    if not _postgres_available():
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL} (set E2E_POSTGRES_URL)")
    if not _redis_available():
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    run = uuid.uuid4().hex[:10]
    database = f"lobbystar_e2e_{run}"
    folder = tmp_path_factory.mktemp("production")
    with _postgres() as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    env = {
        **os.environ,
        "DATABASE_URL": f"{POSTGRES_URL}/{database}",
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "CELERY_QUEUE": f"lobbystar-e2e-{run}",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(folder / "celerybeat-schedule"),
        "SECRET_KEY": f"e2e-{run}-secret",
        "CUSTOMER_REF_KEY": f"e2e-{run}-customers",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
    }
    try:
        _manage(env, "migrate", "--no-input", "-v0")
        _manage(env, "seed_demo", "--months", "2", "--staff", "12")
        _manage(env, "grant_role", "hr2", "--role", "hr", "--password-stdin", stdin=PASSWORD + "\n")
        yield {"database": database, "env": env}
    finally:
        with _postgres() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def site(bank, tmp_path):
    """`make prod`'s script running against the bank: gunicorn, a worker and beat under honcho."""
    port = _free_port()
    env = {
        **bank["env"],
        "VAR_DIR": str(tmp_path / "var"),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "2",
    }
    log = tmp_path / "prod.log"
    with open(log, "wb") as output:
        honcho = subprocess.Popen(
            ["bash", "scripts/prod.sh"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Site(f"http://127.0.0.1:{port}", env, bank["database"], log)
    try:
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert honcho.poll() is None, running.tail()
            try:
                if requests.get(f"{running.base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still booting
                pass
            time.sleep(0.3)
        else:
            raise AssertionError("the site did not answer /healthz within 60 s\n" + running.tail())
        yield running
    finally:
        _end_group(honcho)


def _wait_for_job(site: Site, session, job_url: str, seen: list[int]) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        data = session.get(f"{job_url}?format=json", timeout=30).json()
        seen.append(data["percent"])
        if data["state"] in ("done", "failed"):
            return data
        time.sleep(0.25)
    raise AssertionError(f"job {job_url} still {data['state']} after 60 s\n" + site.tail())


# The month's scorecards, and every branch's code → name: what the month's ZIP names its files by.
ZIP_ROWS = (
    "SELECT s.employee_no, s.name, c.branch_path FROM appraisals_scorecard c JOIN staff_staff s ON s.id = c.staff_id "
    "JOIN appraisals_period p ON p.id = c.period_id WHERE p.month = %s"
)
BRANCH_NAMES = "SELECT code, name FROM staff_branch"


def _zip_entries(rows, branch_names) -> list[str]:
    """`支行/员工编号-姓名.pdf` for each person and `支行/支行-汇总.pdf` for each sub-branch (the third
    code of the path); two sub-branches of one name are told apart by their codes."""
    names = dict(branch_names)
    units = {[code for code in path.split("/") if code][2] for _number, _name, path in rows}
    taken = [names[code] for code in units]

    def folder(code):
        return names[code] if taken.count(names[code]) == 1 else f"{names[code]}-{code}"

    entries = {f"{folder(code)}/{names[code]}-汇总.pdf" for code in units}
    for number, name, path in rows:
        entries.add(f"{folder([code for code in path.split('/') if code][2])}/{number}-{name}.pdf")
    return sorted(entries)


def _zip_names(site: Site, session, job_url: str) -> list[str]:
    response = session.get(f"{job_url}download/", timeout=60)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    for name in archive.namelist():
        assert archive.read(name).startswith(b"%PDF"), name
    return sorted(archive.namelist())


@pytest.mark.e2e
@pytest.mark.slow
def test_hr_runs_a_month_to_its_pdf_pack_on_gunicorn_a_celery_worker_redis_and_postgresql(site):
    hr = site.session("hr")

    response = site.post(hr, "/months/compute/", {"month": MONTH})
    job_url = re.search(r"/jobs/\d+/", response.url).group(0)
    compute = _wait_for_job(site, hr, f"{site.base}{job_url}", [])
    assert compute["state"] == "done", compute["message"] + site.tail()
    assert "张考核表" in compute["message"]

    rows = site.query(
        "SELECT DISTINCT c.branch_path FROM appraisals_scorecard c JOIN appraisals_period p ON p.id = c.period_id "
        "WHERE p.month = %s",
        f"{MONTH}-01",
    )
    sub_branches = sorted({[code for code in path.split("/") if code][2] for (path,) in rows})
    for code in sub_branches:
        site.post(site.session(f"head-{code}"), f"/months/{MONTH}/signoff/", {"note": "已核对本支行考核结果"})
    site.post(hr, f"/months/{MONTH}/review/")
    assert site.query("SELECT status FROM appraisals_period WHERE month = %s", f"{MONTH}-01") == [("reviewed",)]
    site.post(site.session("hr2"), f"/months/{MONTH}/finalize/", {"confirm": "on"})
    assert site.query("SELECT status FROM appraisals_period WHERE month = %s", f"{MONTH}-01") == [("finalized",)]

    every_file = _zip_entries(site.query(ZIP_ROWS, f"{MONTH}-01"), site.query(BRANCH_NAMES))

    started = time.monotonic()
    response = site.post(hr, f"/months/{MONTH}/pdf-zip/")
    assert time.monotonic() - started < 5, "the request waited for the pack"
    first_url = site.base + re.search(r"/jobs/\d+/", response.url).group(0)
    seen: list[int] = []
    first = _wait_for_job(site, hr, first_url, seen)
    assert first["state"] == "done", first["message"] + site.tail()
    assert any(0 < percent < 100 for percent in seen), f"the bar never moved: {seen}"
    assert _zip_names(site, hr, first_url) == every_file

    response = site.post(hr, f"/months/{MONTH}/pdf-zip/")
    second_url = site.base + re.search(r"/jobs/\d+/", response.url).group(0)
    second = _wait_for_job(site, hr, second_url, [])
    assert second["state"] == "done", second["message"]
    assert "新渲染 0 个文件" in second["message"]
    assert _zip_names(site, hr, second_url) == every_file


def _worker(env: dict, name: str, log: Path) -> subprocess.Popen:
    """A Celery worker as the Procfile starts it (one process), in a session of its own."""
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "1"]
            + ["-n", f"{name}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _received(log: Path, text: bool = False):
    content = log.read_text("utf-8", "replace") if log.exists() else ""
    return content[-3000:] if text else set(re.findall(r"Task \S+\[([0-9a-f-]+)\] received", content))


@pytest.mark.e2e
@pytest.mark.slow
def test_a_pack_whose_worker_is_killed_half_way_is_finished_by_another_worker(bank, tmp_path):
    month = "2026-11"
    # Tasks of a killed worker come back after 5 s here (an hour in production).
    env = {**bank["env"], "VAR_DIR": str(tmp_path / "var"), "CELERY_VISIBILITY_TIMEOUT": "5"}
    _manage(env, "compute_scorecards", month)
    first = _worker(env, "first", tmp_path / "first.log")
    second = None
    try:
        job_id = int(
            _manage(
                env,
                "shell",
                "-c",
                "import datetime; from django.contrib.auth import get_user_model; "
                "from appraisals.tasks import job_start; "
                "print(job_start(kind='pdf_zip', month=datetime.date(2026, 11, 1), "
                "user=get_user_model().objects.get(username='hr'), language='zh-hans').pk)",
            ).split()[-1]
        )

        def job() -> tuple:
            with _postgres(bank["database"]) as connection:
                return connection.execute(
                    "SELECT state, done, total, message, result_file FROM appraisals_job WHERE id = %s", (job_id,)
                ).fetchone()

        deadline = time.monotonic() + 90
        while job()[1] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        state, done, total, *_ = job()
        assert 0 < done < total, f"cannot kill the worker half-way: {done} of {total} files done"
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool process, mid-render
        first.wait(timeout=10)

        second = _worker(env, "second", tmp_path / "second.log")
        deadline = time.monotonic() + 120
        while job()[0] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.3)
        state, done, total, message, result_file = job()
        assert state == "done", f"{state}: {message}\n" + _received(tmp_path / "second.log", text=True)
    finally:
        for worker in (first, second):
            if worker is not None:
                _end_group(worker)

    redelivered = _received(tmp_path / "first.log") & _received(tmp_path / "second.log")
    assert redelivered, "no task of the killed worker was handed out again"
    with _postgres(bank["database"]) as connection:
        expected = _zip_entries(
            connection.execute(ZIP_ROWS, (f"{month}-01",)).fetchall(), connection.execute(BRANCH_NAMES).fetchall()
        )
    with zipfile.ZipFile(tmp_path / "var" / "media" / result_file) as archive:
        assert sorted(archive.namelist()) == expected
