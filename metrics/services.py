"""Writes on the facts: importing a file whole or not at all, checking and confirming an upload,
adding or correcting one record by hand with a reason, and closing or opening a month to
changes. Every change keeps its history through `audit.services`."""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Change
from audit.services import change_record, field_changes
from core import months
from core.errors import LobbyStarError
from core.imports.errors import FileRejected, RowError
from core.imports.files import Table, max_bytes, read_table, too_large_error
from core.imports.kinds import (
    KINDS,
    LISTED_ERRORS,
    ImportContext,
    Plan,
    finalized_message,
    header_filter,
    rows_from_table,
)
from metrics.models import RECORD_MODELS, ImportBatch, MonthLock
from metrics.pseudonyms import customer_hash
from metrics.selectors import locked_months
from metrics.summaries import summaries_refresh

# ─── importing a file ─────────────────────────────────────────────────────────────────────


@dataclass
class ImportResult:
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]  # the first LISTED_ERRORS of them
    batch_id: int
    seconds: float
    dry_run: bool = False
    error_count: int = 0  # all of them

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unlisted_errors(self) -> int:
        return max(self.error_count - len(self.errors), 0)

    @property
    def summary(self) -> str:
        """The line a successful import ends with, in the active language (CONTRACT.md §1: its
        English reads "created X, updated Y, unchanged Z")."""
        counts = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        return _("导入完成：新建 %(created)d 条，更新 %(updated)d 条，未变 %(unchanged)d 条。") % counts

    @property
    def contract_summary(self) -> str:
        """The summary line of CONTRACT.md §1 exactly, whatever the language: what the bank's
        scripts read from the command's output."""
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"

    @property
    def check_summary(self) -> str:
        """What a dry run found, in the active language."""
        counts = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        return (
            _("检查通过（未写入任何数据）：将新建 %(created)d 条，更新 %(updated)d 条，未变 %(unchanged)d 条。")
            % counts
        )


def _read_source(source, filename: str | None) -> tuple[bytes, str]:
    """The file's bytes, never more than IMPORT_MAX_MB of them: a larger file is refused before
    it is read (FileRejected)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.stat().st_size > max_bytes():
            raise too_large_error()
        with path.open("rb") as file:
            return _read_limited(file), filename or path.name
    return _read_limited(source), filename or Path(str(getattr(source, "name", "") or "upload")).name


def _read_limited(file) -> bytes:
    data = file.read(max_bytes() + 1)
    if isinstance(data, str):
        raise TypeError("open the file in binary mode ('rb')")
    if len(data) > max_bytes():
        raise too_large_error()
    return data


def import_file(
    kind: str,
    source: str | Path | BinaryIO,
    *,
    filename: str | None = None,
    user=None,
    dry_run: bool = False,
    update: bool = False,
    today: datetime.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Imports one file whole or not at all (CONTRACT.md §1) and records the run as an ImportBatch.
    `progress(done, total)`, when given, hears of each step (read, mapped, checked, done)."""
    step = progress or (lambda done, total: None)
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}")
    started = time.perf_counter()
    name = filename or Path(str(source if isinstance(source, (str, Path)) else getattr(source, "name", ""))).name
    try:
        data, name = _read_source(source, filename)
    except FileRejected as exc:
        return _rejected_unread(kind, name or "upload", exc.errors, user=user, update=update, started=started)
    sha256 = hashlib.sha256(data).hexdigest()
    step(0, 4)
    try:
        table = read_table(data, name, keep=header_filter(spec))
    except FileRejected as exc:
        table = exc
    del data  # a million rows: the bytes can go once they are cells
    step(1, 4)
    return import_table(
        kind,
        table,
        filename=name,
        sha256=sha256,
        user=user,
        dry_run=dry_run,
        update=update,
        today=today,
        started=started,
        progress=step,
    )


def import_table(
    kind: str,
    table: Table | FileRejected,
    *,
    filename: str,
    sha256: str = "",
    user=None,
    dry_run: bool = False,
    update: bool = False,
    today: datetime.date | None = None,
    started: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """The import after reading, shared by files and the API (one path, not two): maps the
    header, prepares, writes whole in one transaction or not at all, records an ImportBatch.
    `table` is what the reading gave, or the FileRejected it raised."""
    step = progress or (lambda done, total: None)
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}")
    started = time.perf_counter() if started is None else started
    context = ImportContext(
        kind=kind,
        today=today or months.today(),
        update=update,
        dry_run=dry_run,
        user=user,
        locked_months=frozenset(locked_months()),
    )
    batch_fields = dict(kind=kind, filename=filename[:255], sha256=sha256, update_mode=update, user=user)
    plan, row_count = Plan(), 0
    try:
        if isinstance(table, FileRejected):
            raise table
        rows = rows_from_table(table, spec)
        del table
        step(2, 4)
        row_count = len(rows) + rows.skipped
        plan = spec.prepare(rows, context)
        step(3, 4)
        errors, error_count = rows.errors(LISTED_ERRORS), rows.error_count()
        del rows  # the plan keeps what it writes; the cells can go
    except FileRejected as exc:
        errors, error_count = exc.errors, len(exc.errors)
    batch_fields["rows"] = row_count
    if errors:
        plan = Plan()  # a rejected file changes nothing
    batch = None
    if not errors and not dry_run:
        try:
            with transaction.atomic():
                # The locks again, inside the transaction that writes (CONTRACT.md §1).
                month_locks_hold()
                finalized_since = sorted(locked_months() - context.locked_months)
                if finalized_since:
                    raise MonthFinalizedMeanwhile(finalized_since)
                batch = ImportBatch.objects.create(
                    outcome=ImportBatch.Outcome.IMPORTED,
                    created=plan.created,
                    updated=plan.updated,
                    unchanged=plan.unchanged,
                    **batch_fields,
                )
                plan.write(batch)
                batch.seconds = time.perf_counter() - started
                batch.save(update_fields=["seconds"])
        except IntegrityError as exc:
            # Another import stored some of the same rows between our check and our write.
            batch, plan = None, Plan()
            errors = [RowError(1, "-", _("数据库拒绝了这些行，什么也没有写入（%(detail)s）；请重试") % {"detail": exc})]
            error_count = 1
        except MonthFinalizedMeanwhile as exc:
            batch, plan = None, Plan()
            errors = [RowError(1, "-", str(exc))]
            error_count = 1
    if batch is None:
        batch = ImportBatch.objects.create(
            outcome=ImportBatch.Outcome.REJECTED if errors else ImportBatch.Outcome.DRY_RUN,
            created=plan.created,
            updated=plan.updated,
            unchanged=plan.unchanged,
            errors=[error.as_dict() for error in errors[:LISTED_ERRORS]],
            error_count=error_count if errors else 0,
            seconds=time.perf_counter() - started,
            **batch_fields,
        )
    return ImportResult(
        kind=kind,
        rows=row_count,
        created=plan.created,
        updated=plan.updated,
        unchanged=plan.unchanged,
        errors=errors[:LISTED_ERRORS],
        batch_id=batch.pk,
        seconds=time.perf_counter() - started,
        dry_run=dry_run,
        error_count=error_count if errors else 0,
    )


def _rejected_unread(kind: str, name: str, errors: list[RowError], *, user, update: bool, started: float):
    """A file refused before it was read (too large): recorded like any rejected file."""
    batch = ImportBatch.objects.create(
        kind=kind,
        filename=name[:255],
        update_mode=update,
        user=user,
        outcome=ImportBatch.Outcome.REJECTED,
        errors=[error.as_dict() for error in errors],
        error_count=len(errors),
        seconds=time.perf_counter() - started,
    )
    return ImportResult(
        kind=kind,
        rows=0,
        created=0,
        updated=0,
        unchanged=0,
        errors=errors,
        batch_id=batch.pk,
        seconds=time.perf_counter() - started,
        error_count=len(errors),
    )


# ─── the console's upload, and one record by hand ──────────────────────────────────────────


class RecordError(LobbyStarError):
    """A record change the console refuses; the message says why."""


def import_kinds() -> list[tuple[str, str]]:
    """The kinds of file the importers accept, as (code, label)."""
    return [(name, spec.label) for name, spec in KINDS.items()]


# A check waits this long for its confirmation; then its stored upload is removed.
PENDING_HOURS = 24


def _upload_cipher():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from django.utils.crypto import salted_hmac

    return AESGCM(salted_hmac("metrics.services.import_upload", "pending upload", algorithm="sha256").digest())


def import_upload_store(*, uploaded) -> str:
    """Keeps an uploaded file between its check and its confirmation, under MEDIA_ROOT/imports/,
    encrypted (AES-GCM under a key derived from SECRET_KEY): it holds customer numbers, which are
    never kept in clear (CONTRACT.md §1). Returns its path relative to MEDIA_ROOT. Pending files
    left longer than PENDING_HOURS are removed first."""
    import_uploads_expire()
    if uploaded.size > max_bytes():
        raise RecordError(too_large_error().errors[0].message)
    data = b"".join(uploaded.chunks())
    folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    nonce = os.urandom(12)
    path = folder / "upload.bin"
    path.write_bytes(nonce + _upload_cipher().encrypt(nonce, data, None))
    return str(path.relative_to(settings.MEDIA_ROOT))


def _stored(relative: str) -> Path:
    root = (Path(settings.MEDIA_ROOT) / "imports").resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise RecordError(_("上传的文件已不存在，请重新上传。"))
    return path


def _stored_bytes(relative: str) -> io.BytesIO:
    from cryptography.exceptions import InvalidTag

    sealed = _stored(relative).read_bytes()
    try:
        return io.BytesIO(_upload_cipher().decrypt(sealed[:12], sealed[12:], None))
    except (InvalidTag, ValueError):
        import_upload_discard(stored=relative)
        raise RecordError(_("上传的文件已不存在，请重新上传。")) from None


def import_upload_discard(*, stored: str) -> None:
    """Removes a stored upload (after its confirmation, its rejection, or its expiry)."""
    try:
        path = _stored(stored)
    except RecordError:
        return
    shutil.rmtree(path.parent, ignore_errors=True)


def import_uploads_expire(*, hours: int = PENDING_HOURS) -> int:
    """Removes stored uploads older than `hours`; returns how many."""
    root = Path(settings.MEDIA_ROOT) / "imports"
    if not root.is_dir():
        return 0
    cutoff = time.time() - hours * 3600
    expired = [folder for folder in root.iterdir() if folder.is_dir() and folder.stat().st_mtime < cutoff]
    for folder in expired:
        shutil.rmtree(folder, ignore_errors=True)
    return len(expired)


def import_check(*, kind: str, stored: str, filename: str, update: bool, user, progress=None):
    """The dry run: checks every row, writes nothing but the ImportBatch that records the check.
    A file with errors cannot be confirmed, so its stored copy goes at once."""
    result = import_file(
        kind, _stored_bytes(stored), filename=filename, user=user, dry_run=True, update=update, progress=progress
    )
    if not result.ok:
        import_upload_discard(stored=stored)
    return result


def import_confirm(*, kind: str, stored: str, filename: str, update: bool, user):
    """Imports the checked file whole or not at all; the stored copy is removed either way."""
    source = _stored_bytes(stored)
    try:
        return import_file(kind, source, filename=filename, user=user, dry_run=False, update=update)
    finally:
        import_upload_discard(stored=stored)


# ─── one record by hand ─────────────────────────────────────────────────────────────────


def _snapshot(record) -> dict:
    values = {"date": record.date, "staff": record.staff.employee_no if record.staff_id else None}
    for field in record._meta.concrete_fields:
        if field.name in {"id", "ref", "date", "staff", "batch"}:
            continue
        values[field.name] = getattr(record, field.attname)
    return values


def record_save(*, kind: str, record=None, values: dict, reason: str, user):
    """Adds a record (record=None) or corrects one, with a written reason kept in the history.

    A record dated in a finalized month — before or after the change — is refused (SCORING.md §6).
    `values` may hold `customer_ref` in clear; only its keyed hash is stored.
    """
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise RecordError(_("手工新增或更正记录必须填写原因（至少 4 个字）。"))
    model = RECORD_MODELS[kind]
    values = dict(values)
    reference = values.pop("customer_ref", None)
    if reference and hasattr(model, "customer_hash"):
        values["customer_hash"] = customer_hash(reference)
    if values.get("date") and values["date"] > timezone.localdate():
        raise RecordError(_("记录日期不能晚于今天。"))
    months = {values["date"].replace(day=1)} if values.get("date") else set()
    with transaction.atomic():
        month_locks_hold()  # the lock is read where the write happens, so a finalize cannot slip in
        if record is not None:
            # Read afresh: a ModelForm's validation has already set the new values on the instance it had.
            record = model.objects.select_for_update().select_related("staff").get(pk=record.pk)
            months.add(record.date.replace(day=1))
        locked = sorted(months & locked_months())
        if locked:
            raise RecordError(
                _("%(month)s 已定稿，记录不能新增或修改；如需更正请先由人力资源部重开该月。")
                % {"month": f"{locked[0]:%Y-%m}"}
            )
        if record is None:
            record = model(**values)
            record.full_clean()
            record.save()
            summaries_refresh(kind=kind, pairs=[(record.staff_id, record.date)])
            change_record(
                obj=record,
                action=Change.Action.CREATE,
                user=user,
                reason=reason,
                fields=field_changes({}, _snapshot(record)),
                source="console",
            )
            return record
        before, was = _snapshot(record), (record.staff_id, record.date)
        for name, value in values.items():
            setattr(record, name, value)
        record.full_clean()
        changes = field_changes(before, _snapshot(record))
        if not changes:
            return record
        record.save()
        summaries_refresh(kind=kind, pairs=[was, (record.staff_id, record.date)])  # both, if it moved
        change_record(
            obj=record,
            action=Change.Action.UPDATE,
            user=user,
            reason=reason,
            fields=changes,
            source="console",
        )
    return record


# ─── month locks ──────────────────────────────────────────────────────────────────────────


class MonthFinalizedMeanwhile(LobbyStarError):
    """A month was finalized while a file was being checked: the file is refused whole, in the
    words of the import's other row errors."""

    def __init__(self, finalized: list[datetime.date]):
        super().__init__(
            _("%(finalized)s（在导入这个文件期间定稿）：什么也没有写入；请重新导入")
            % {"finalized": _("；").join(finalized_message(month) for month in finalized)}
        )


# Any number for pg_advisory_xact_lock, the same in every process: "LobbyStar month locks".
_MONTH_LOCKS_KEY = 0x4C53_4D4C


def month_locks_hold(*, exclusive: bool = False) -> None:
    """Holds the month locks until the current transaction ends, so what it then reads of them
    stays true until it commits (SCORING.md §6).

    Imports, record edits and computations hold it shared, side by side; finalizing and
    reopening hold it exclusively, so they wait for writes in flight and writes wait for them.
    PostgreSQL: a transaction-level advisory lock. SQLite: a write, which takes the database's
    one write lock now rather than at the first real write (BEGIN IMMEDIATE).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("month_locks_hold() works only inside transaction.atomic()")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            cursor.execute(f"SELECT {function}(%s)", [_MONTH_LOCKS_KEY])
        else:
            cursor.execute(f"UPDATE {MonthLock._meta.db_table} SET month = month WHERE 1 = 0")


def month_lock(*, month: datetime.date) -> None:
    """Closes a month to new and changed records (called when a period is finalized)."""
    MonthLock.objects.get_or_create(month=month.replace(day=1))


def month_unlock(*, month: datetime.date) -> None:
    """Opens a month again (called when a finalized period is reopened with a reason)."""
    MonthLock.objects.filter(month=month.replace(day=1)).delete()
