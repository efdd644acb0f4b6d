"""Rendering a whole month to a folder: one PDF per person, one pack per sub-branch.

The plan is made in one process from one read of the month (`data.month_pages`): for each
sub-branch, which of its files are missing or out of date. A file is out of date when the
hash of what it shows (`data.page_fingerprint`) differs from the one in the folder's
manifest, so an unchanged month renders nothing, and a run that died half-way picks up where
it stopped. Each sub-branch is then laid out and drawn once — its pack and its people's files
all written from that one drawing (`render.write_many`) — in a pool of processes (every core),
or as Celery tasks over Redis when a broker is configured, on any number of workers.

Files are written whole or not at all (a temporary file, then `os.replace`), and each one is
entered in the manifest's journal as soon as it is on disk.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import fcntl
import gc
import json
import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from celery import current_app, current_task
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appraisals.services.periods import period_get
from core.months import month_parse
from reports.pdf import render
from reports.pdf.data import MonthPages, Unit, month_pages, pack_fingerprint, page_fingerprint

# The Celery task that renders one sub-branch (reports.tasks), sent by name.
RENDER_UNIT_TASK = "reports.render_scorecard_unit"
MANIFEST = "manifest.json"
PAUSE_COLLECTOR_UP_TO = 60  # pages in a sub-branch's document; see _collect_once
JOURNAL = "manifest.journal"
UNSAFE_IN_NAMES = set('/\\:*?"<>|')
LOCK = ".manifest.lock"


@dataclass
class Job:
    """One sub-branch's work: its pack if stale, and the people whose files are stale."""

    unit_code: str
    pack: bool
    people: list[str]

    @property
    def files(self) -> int:
        return len(self.people) + (1 if self.pack else 0)


@dataclass
class Plan:
    jobs: list[Job]
    total_files: int
    unchanged: int

    @property
    def stale_files(self) -> int:
        return sum(job.files for job in self.jobs)


@dataclass
class RunResult:
    rendered: int = 0
    unchanged: int = 0
    scorecards: int = 0
    packs: int = 0
    seconds: float = 0.0
    mode: str = "local"
    workers: int = 1
    files: list[str] = field(default_factory=list)
    # Every file of the month (or branch) in that language, rendered now or before: what a pack holds.
    all_files: list[str] = field(default_factory=list)
    # Each of those files → its name in the month's ZIP (zip_entries).
    entries: dict[str, str] = field(default_factory=dict)


def suffix(language: str) -> str:
    return ".en.pdf" if language == "en" else ".pdf"


def person_file(employee_no: str, language: str) -> str:
    return f"staff/{employee_no}{suffix(language)}"


def pack_file(unit_code: str, language: str) -> str:
    return f"packs/{unit_code}{suffix(language)}"


def month_files(month: MonthPages, language: str) -> list[str]:
    """Every file of the month in `language`: each sub-branch's pack and its people's scorecards."""
    files = []
    for unit in month.units:
        files.append(pack_file(unit.code, language))
        files.extend(person_file(page["employee_no"], language) for page in unit.pages)
    return files


def safe_name(text: str, *, limit: int = 80) -> str:
    """`text` as one file or folder name on any file system (Windows' too): no separators, no
    characters Windows refuses, no control characters, no leading or trailing dots or spaces."""
    cleaned = "".join("_" if ch in UNSAFE_IN_NAMES or ord(ch) < 32 else ch for ch in str(text))
    cleaned = cleaned.strip(" .")[:limit].strip(" .")
    return cleaned or "_"


def zip_entries(month: MonthPages, language: str) -> dict[str, str]:
    """Each file of the month (month_files) → its name in the month's ZIP: `支行/员工编号-姓名.pdf`
    for a person, `支行/支行-汇总.pdf` for the sub-branch's pack. Two sub-branches of one name
    are told apart by their codes."""
    names = [unit.name for unit in month.units]
    entries = {}
    with translation.override(language):
        summary = _("汇总")
    for unit in month.units:
        folder = unit.name if names.count(unit.name) == 1 else f"{unit.name}-{unit.code}"
        folder = safe_name(folder)
        entries[pack_file(unit.code, language)] = f"{folder}/{safe_name(f'{unit.name}-{summary}')}.pdf"
        for page in unit.pages:
            person = safe_name(f"{page['employee_no']}-{page['name']}")
            entries[person_file(page["employee_no"], language)] = f"{folder}/{person}.pdf"
    return entries


# --- the manifest ------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def manifest_read(folder: Path) -> dict[str, str]:
    """filename → hash of the inputs it was rendered from: the manifest, then its journal."""
    entries: dict[str, str] = {}
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        entries.update(json.loads((folder / MANIFEST).read_text("utf-8")).get("files", {}))
    with contextlib.suppress(FileNotFoundError):
        for line in (folder / JOURNAL).read_text("utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash: its file is rendered again
            entries[entry["file"]] = entry["hash"]
    return entries


def manifest_note(folder: Path, filename: str, digest: str) -> None:
    """Enters one finished file in the journal (one short appended line, under a lock).

    Not fsynced: a crashed process loses nothing written, and after a power cut a missing line
    only means one file is rendered again."""
    line = json.dumps({"file": filename, "hash": digest}) + "\n"
    with _locked(folder), open(folder / JOURNAL, "a", encoding="utf-8") as journal:
        journal.write(line)


def manifest_compact(folder: Path) -> None:
    """Folds the journal into manifest.json (atomically) and empties it."""
    with _locked(folder):
        entries = manifest_read(folder)
        payload = json.dumps({"version": 1, "files": dict(sorted(entries.items()))}, indent=1, ensure_ascii=False)
        write_atomic(folder / MANIFEST, payload.encode("utf-8"))
        with contextlib.suppress(FileNotFoundError):
            (folder / JOURNAL).unlink()


# The temporary files this process is writing: a pool worker ended by SIGTERM removes them
# before it goes (_worker_end), as an exception does in write_atomic.
_writing: set[str] = set()


@contextlib.contextmanager
def _termination_held():
    """SIGTERM waits while a temporary file is made and noted, so none is made unnoted."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def write_atomic(path: Path, content: bytes) -> None:
    """The whole file or none of it: a temporary file beside it, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _termination_held():
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        _writing.add(temporary)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        # mkstemp makes the file private; the finished file gets the usual permissions.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    finally:
        _writing.discard(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- planning ----------------------------------------------------------------------------------


def plan_month(*, month: MonthPages, folder: Path, language: str, force: bool = False) -> Plan:
    done = {} if force else manifest_read(folder)

    def fresh(filename: str, digest: str) -> bool:
        return done.get(filename) == digest and (folder / filename).exists()

    jobs, total, unchanged = [], 0, 0
    for unit in month.units:
        people = []
        for page in unit.pages:
            total += 1
            filename = person_file(page["employee_no"], language)
            digest = page_fingerprint(page, language=language, audience="employee", bank_name=month.bank_name)
            if fresh(filename, digest):
                unchanged += 1
            else:
                people.append(page["employee_no"])
        total += 1
        pack_stale = not fresh(
            pack_file(unit.code, language),
            pack_fingerprint(unit, language=language, bank_name=month.bank_name),
        )
        unchanged += 0 if pack_stale else 1
        if people or pack_stale:
            jobs.append(Job(unit_code=unit.code, pack=pack_stale, people=people))
    # The biggest first, so the pool does not wait on one large sub-branch at the end.
    jobs.sort(key=lambda job: -job.files)
    return Plan(jobs=jobs, total_files=total, unchanged=unchanged)


# --- rendering one sub-branch ------------------------------------------------------------------


def unit_render(
    *,
    month: MonthPages,
    unit: Unit,
    job: Job,
    folder: Path,
    language: str,
    generated_at: datetime.datetime | None,
    on_file: Callable[[str], None] | None = None,
) -> list[str]:
    """Lays out the sub-branch once and writes its stale files. Returns their names.

    With the pack stale: one document with the cover, everyone's branch copy, and an own copy
    only for those whose own copy differs (the bottom-flagged). Without: only the stale
    people's own copies.
    """
    with _collect_once(pause=len(unit.pages) <= PAUSE_COLLECTOR_UP_TO):
        return _unit_render(
            month=month,
            unit=unit,
            job=job,
            folder=folder,
            language=language,
            generated_at=generated_at,
            on_file=on_file,
        )


@contextlib.contextmanager
def _collect_once(*, pause: bool):
    """Lays out with Python's cycle collector paused, then collects once. A laid-out document is
    a large graph built all at once: scanning it again and again while it grows costs a tenth of
    the rendering time; freeing it in one collection afterwards costs little. The garbage waits
    for that collection (some 3 MB a page), so a very large sub-branch renders unpaused."""
    enabled = gc.isenabled()
    if not pause:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect()


def _unit_render(*, month, unit, job, folder, language, generated_at, on_file) -> list[str]:
    stale = set(job.people)
    if job.pack:
        differing = [page for page in unit.pages if page["employee_no"] in stale and page["bottom_flag"]]
        rendered = render.document(
            month=month, units=[unit], own_pages=differing, language=language, generated_at=generated_at
        )
    else:
        wanted = [page for page in unit.pages if page["employee_no"] in stale]
        rendered = render.document(
            month=month, units=[], own_pages=wanted, language=language, generated_at=generated_at
        )
    found = render.sections(rendered)
    files, digests = {}, {}
    for page in unit.pages:
        employee_no = page["employee_no"]
        if employee_no in stale:
            filename = person_file(employee_no, language)
            files[filename] = (
                found.get(render.page_anchor(page, "employee")) or found[render.page_anchor(page, "branch")]
            )
            digests[filename] = page_fingerprint(
                page, language=language, audience="employee", bank_name=month.bank_name
            )
    if job.pack:
        filename = pack_file(unit.code, language)
        files[filename] = list(found[f"cover-{unit.code}"])
        for page in unit.pages:
            files[filename] += found[render.page_anchor(page, "branch")]
        digests[filename] = pack_fingerprint(unit, language=language, bank_name=month.bank_name)
    written = []
    # Every page is drawn once for all the files it goes in (render.write_many).
    for filename, content in render.write_many(rendered, files, last=next(reversed(files))).items():
        write_atomic(folder / filename, content)
        manifest_note(folder, filename, digests[filename])
        written.append(filename)
        if on_file:
            on_file(filename)
    return written


def unit_render_from_db(
    *,
    period_month: str,
    unit_code: str,
    folder: str,
    language: str,
    people: list[str],
    pack: bool,
    generated_at: str | None = None,
) -> list[str]:
    """The Celery task's service: reads the sub-branch from the database and renders it."""
    period = period_get(month=month_parse(period_month))
    month = month_pages(period=period, branch_code=unit_code)
    unit = next(unit for unit in month.units if unit.code == unit_code)
    when = datetime.datetime.fromisoformat(generated_at) if generated_at else None
    return unit_render(
        month=month,
        unit=unit,
        job=Job(unit_code=unit_code, pack=pack, people=list(people)),
        folder=Path(folder),
        language=language,
        generated_at=when,
    )


# --- a rendering process's start ----------------------------------------------------------------

WARM_HTML = "<p>大堂之星 LobbyStar <b>0123456789</b></p>"


def worker_warm() -> None:
    """What a process that renders PDFs does once, before its first task: WeasyPrint imported,
    the CJK faces found, HarfBuzz loaded, the process's FontConfiguration made and one tiny
    document laid out and drawn (Pango and fontconfig load their caches), the templates compiled.
    Then everything it holds is left out of the cycle collector's scans for good (`gc.freeze`),
    so the one collection after each sub-branch (`_collect_once`) scans only that sub-branch.
    Without it the first task of every worker pays all this, and every collection scans Django.

    Run by each Celery worker process as it starts (reports.tasks) and by the local pool's."""
    from django.template.loader import get_template

    for name in ("pdf/pack.html", "pdf/_page.html", "pdf/_cover.html", "pdf/_letterhead.html"):
        get_template(name)
    render.document_from_html(WARM_HTML).write_pdf()
    gc.collect()
    gc.freeze()


# --- the local pool ----------------------------------------------------------------------------

_worker_state: dict = {}
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent_pid: int) -> None:
    """Asks Linux to kill this process when its parent dies, however the parent dies (kill -9
    included), so a pool worker never outlives the command that started it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's own clean-up still ends the pool
        return
    if os.getppid() != parent_pid:  # the parent died before the request was made
        os._exit(1)


def _worker_start(queue, parent_pid: int | None = None) -> None:
    """In each worker. It dies with its parent, leaves Ctrl-C to the parent (which ends the
    pool), and when the parent ends it, removes the file it was writing. Forked: keep the
    parent's database connections alive but unused (closing them would close the parent's too),
    so a stray query opens a fresh one. Spawned (where fork is missing): set Django up first.
    Workers only render; they never query."""
    if parent_pid is not None:
        _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_end)
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    worker_warm()
    from django.db import connections

    _worker_state["queue"] = queue
    _worker_state["inherited"] = [connection.connection for connection in connections.all(initialized_only=True)]
    for connection in connections.all(initialized_only=True):
        connection.connection = None


def _worker_end(number, frame) -> None:
    """SIGTERM in a pool worker (the parent ends the pool: Ctrl-C, SIGTERM, a failed sub-branch):
    the file it was writing is removed, and it goes at once, without running the queue's
    clean-up (the parent's, inherited by the fork)."""
    for temporary in list(_writing):
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    os._exit(128 + number)


def _worker_job(month: MonthPages, unit: Unit, job: Job, folder: str, language: str, generated_at):
    queue = _worker_state.get("queue")
    return unit_render(
        month=month,
        unit=unit,
        job=job,
        folder=Path(folder),
        language=language,
        generated_at=generated_at,
        on_file=(lambda name: queue.put(1)) if queue is not None else None,
    )


def _run_local(*, month, plan, folder, language, generated_at, workers, progress) -> None:
    units = {unit.code: unit for unit in month.units}
    if workers <= 1 or len(plan.jobs) <= 1:
        for job in plan.jobs:
            unit_render(
                month=month,
                unit=units[job.unit_code],
                job=job,
                folder=folder,
                language=language,
                generated_at=generated_at,
                on_file=lambda name: progress.advance(),
            )
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    queue = context.SimpleQueue()
    # Each worker gets a whole sub-branch, and only that sub-branch's data (pickled).
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_worker_start, initargs=(queue, os.getpid())
    )
    try:
        pending = {
            pool.submit(
                _worker_job,
                _slim(month, units[job.unit_code]),
                units[job.unit_code],
                job,
                str(folder),
                language,
                generated_at,
            )
            for job in plan.jobs
        }
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            while not queue.empty():
                queue.get()
                progress.advance()
            for future in done:
                future.result()  # a failure in a worker stops the run here, with its traceback
        while not queue.empty():
            queue.get()
            progress.advance()
    except BaseException:
        # Ctrl-C, SIGTERM (the command turns it into SystemExit) or a failed sub-branch: end the
        # workers now rather than let them finish the queue.
        _pool_kill(pool)
        raise
    else:
        pool.shutdown()


def _pool_kill(pool: ProcessPoolExecutor) -> None:
    processes = list((pool._processes or {}).values())  # no public way to reach them
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _slim(month: MonthPages, unit: Unit) -> MonthPages:
    return MonthPages(period=month.period, bank_name=month.bank_name, units=[unit])


# --- Celery ------------------------------------------------------------------------------------


def unit_signature(*, period_label, job: Job, folder, language, generated_at, job_id: int | None = None):
    """The task that renders one sub-branch's stale files; with `job_id` it also counts them on
    that console job (reports.services)."""
    kwargs = {
        "period_month": period_label,
        "unit_code": job.unit_code,
        "folder": str(folder),
        "language": language,
        "people": job.people,
        "pack": job.pack,
        "generated_at": generated_at.isoformat() if generated_at else None,
    }
    if job_id is not None:
        kwargs["job_id"] = job_id
    return current_app.signature(RENDER_UNIT_TASK, kwargs=kwargs)


def _run_celery(*, period_label, plan, folder, language, generated_at, progress, timeout, queue) -> None:
    # Enqueued straight away rather than on commit: this run only reads, and the workers read
    # what is already committed.
    results = [
        (
            job,
            unit_signature(
                period_label=period_label, job=job, folder=folder, language=language, generated_at=generated_at
            ).apply_async(queue=queue),
        )
        for job in plan.jobs
    ]
    deadline = time.monotonic() + timeout
    pending = list(results)
    while pending:
        still = []
        for job, result in pending:
            if result.ready():
                written = result.get(propagate=True)
                progress.advance(len(written))
            else:
                still.append((job, result))
        pending = still
        if pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(pending)} sub-branches still rendering after {timeout} s")
            time.sleep(0.1)


# --- the whole month ---------------------------------------------------------------------------


def render_month(
    *,
    period,
    folder: Path | str | None = None,
    language: str = "zh-hans",
    branch_code: str | None = None,
    force: bool = False,
    workers: int | None = None,
    use_celery: bool | None = None,
    generated_at: datetime.datetime | None = None,
    progress=None,
    timeout: float = 3600,
    queue: str | None = None,
) -> RunResult:
    """Renders the month's scorecards and packs into `folder` (default var/pdf/YYYY-MM/).

    The time printed in the footers is `generated_at`, else SOURCE_DATE_EPOCH when set (the
    reproducible-builds convention: the same inputs then give the same bytes), else now.
    With Celery, `queue` names the queue the tasks go to (default: Celery's default).
    """
    started = time.monotonic()
    folder = Path(folder) if folder else Path(settings.VAR_DIR) / "pdf" / period.label
    folder.mkdir(parents=True, exist_ok=True)
    generated_at = generated_at or source_date() or timezone.now()
    month = month_pages(period=period, branch_code=branch_code)
    plan = plan_month(month=month, folder=folder, language=language, force=force)
    progress = progress or Progress(total=plan.stale_files, stream=None)
    progress.start(plan.stale_files)
    use_celery = bool(settings.CELERY_BROKER_URL) if use_celery is None else use_celery
    if use_celery and current_task and not current_task.request.is_eager:
        # Waiting on tasks inside a task can deadlock the workers: a task fans out with a chord.
        raise RuntimeError("render_month waits on Celery tasks: inside a task, use reports.services' chord")
    workers = workers or os.cpu_count() or 1
    if use_celery:
        _run_celery(
            period_label=period.label,
            plan=plan,
            folder=folder,
            language=language,
            generated_at=generated_at,
            progress=progress,
            timeout=timeout,
            queue=queue,
        )
    else:
        _run_local(
            month=month,
            plan=plan,
            folder=folder,
            language=language,
            generated_at=generated_at,
            workers=workers,
            progress=progress,
        )
    progress.finish()
    manifest_compact(folder)
    scorecards = sum(len(job.people) for job in plan.jobs)
    packs = sum(1 for job in plan.jobs if job.pack)
    return RunResult(
        rendered=plan.stale_files,
        unchanged=plan.unchanged,
        scorecards=scorecards,
        packs=packs,
        seconds=time.monotonic() - started,
        mode="celery" if use_celery else "local",
        workers=workers,
        files=[person_file(p, language) for job in plan.jobs for p in job.people]
        + [pack_file(job.unit_code, language) for job in plan.jobs if job.pack],
        all_files=month_files(month, language),
        entries=zip_entries(month, language),
    )


def source_date() -> datetime.datetime | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)


class Progress:
    """A one-line progress bar: count, rate and time left, redrawn at most ten times a second."""

    def __init__(self, *, total: int = 0, stream=None, width: int = 28, label: str = "PDF"):
        self.total = total
        self.stream = stream
        self.width = width
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self._drawn = 0.0
        self._last = ""

    def start(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, time.monotonic()
        self._draw(force=True)

    def advance(self, count: int = 1) -> None:
        self.done += count
        self._draw()

    def finish(self) -> None:
        self._draw(force=True)
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        share = self.done / self.total if self.total else 1.0
        filled = int(self.width * min(share, 1.0))
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        return (
            f"{self.label} [{bar}] {self.done}/{self.total}  {rate:5.1f}/s  "
            f"{'ETA' if self.done < self.total else 'in'} {_clock(left if self.done < self.total else elapsed)}"
        )

    def _draw(self, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        line = self.line()
        if line == self._last:
            return
        self._drawn, self._last = now, line
        self.stream.write("\r" + line)
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
