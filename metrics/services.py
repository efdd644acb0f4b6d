"""Writes on the facts: importing a file whole or not at all, checking and confirming an upload,
adding or correcting one record by hand with a reason, and closing or opening a month to
changes. Every change keeps its history through `audit.services`."""

from __future__ import annotations

import datetime
import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from audit.models import Change
from audit.services import change_record, field_changes
from core import months
from core.errors import LobbyStarError
from core.imports.errors import FileRejected, RowError
from core.imports.files import read_table
from core.imports.kinds import KINDS, STORED_ERRORS, ImportContext, Plan, rows_from_table
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
    errors: list[RowError]
    batch_id: int
    seconds: float
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"


def _read_source(source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.read_bytes(), filename or path.name
    data = source.read()
    if isinstance(data, str):
        raise TypeError("open the file in binary mode ('rb')")
    return data, filename or Path(str(getattr(source, "name", "") or "upload")).name


def import_file(
    kind: str,
    source: str | Path | BinaryIO,
    *,
    filename: str | None = None,
    user=None,
    dry_run: bool = False,
    update: bool = False,
    today: datetime.date | None = None,
) -> ImportResult:
    """Imports one file whole or not at all (CONTRACT.md §1) and records the run as an ImportBatch."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}")
    started = time.perf_counter()
    data, name = _read_source(source, filename)
    context = ImportContext(
        kind=kind,
        today=today or months.today(),
        update=update,
        dry_run=dry_run,
        user=user,
        locked_months=frozenset(locked_months()),
    )
    batch_fields = dict(
        kind=kind, filename=name[:255], sha256=hashlib.sha256(data).hexdigest(), update_mode=update, user=user
    )
    plan, row_count = Plan(), 0
    try:
        table = read_table(data, name)
        del data  # a million rows: the bytes can go once they are cells
        rows = rows_from_table(table, spec)
        del table
        row_count = len(rows) + rows.skipped
        plan = spec.prepare(rows, context)
        errors = rows.errors()
        del rows  # the plan keeps what it writes; the cells can go
    except FileRejected as exc:
        errors = exc.errors
    batch_fields["rows"] = row_count
    if errors:
        plan = Plan()  # a rejected file changes nothing
    batch = None
    if not errors and not dry_run:
        try:
            with transaction.atomic():
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
            errors = [RowError(1, "-", f"the database refused the rows, nothing was written ({exc}); try again")]
    if batch is None:
        batch = ImportBatch.objects.create(
            outcome=ImportBatch.Outcome.REJECTED if errors else ImportBatch.Outcome.DRY_RUN,
            created=plan.created,
            updated=plan.updated,
            unchanged=plan.unchanged,
            errors=[error.as_dict() for error in errors[:STORED_ERRORS]],
            seconds=time.perf_counter() - started,
            **batch_fields,
        )
    return ImportResult(
        kind=kind,
        rows=row_count,
        created=plan.created,
        updated=plan.updated,
        unchanged=plan.unchanged,
        errors=errors,
        batch_id=batch.pk,
        seconds=time.perf_counter() - started,
        dry_run=dry_run,
    )


# ─── the console's upload, and one record by hand ──────────────────────────────────────────


class RecordError(LobbyStarError):
    """A record change the console refuses; the message says why."""


def import_kinds() -> list[tuple[str, str]]:
    """The kinds of file the importers accept, as (code, label)."""
    return [(name, spec.label) for name, spec in KINDS.items()]


def import_upload_store(*, uploaded) -> str:
    """Keeps an uploaded file under MEDIA_ROOT/imports/ between the dry run and the confirmation;
    returns its path relative to MEDIA_ROOT."""
    folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    name = get_valid_filename(Path(uploaded.name).name) or "upload"
    with open(folder / name, "wb") as target:
        for chunk in uploaded.chunks():
            target.write(chunk)
    return str((folder / name).relative_to(settings.MEDIA_ROOT))


def _stored(relative: str) -> Path:
    root = (Path(settings.MEDIA_ROOT) / "imports").resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise RecordError(_("上传的文件已不存在，请重新上传。"))
    return path


def import_check(*, kind: str, stored: str, filename: str, update: bool, user):
    """The dry run: checks every row, writes nothing but the ImportBatch that records the check."""
    return import_file(kind, _stored(stored), filename=filename, user=user, dry_run=True, update=update)


def import_confirm(*, kind: str, stored: str, filename: str, update: bool, user):
    """Imports the checked file whole or not at all; the stored copy is removed after success."""
    path = _stored(stored)
    result = import_file(kind, path, filename=filename, user=user, dry_run=False, update=update)
    if result.ok:
        path.unlink(missing_ok=True)
    return result


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
    if record is not None:
        months.add(record.date.replace(day=1))
    locked = sorted(months & locked_months())
    if locked:
        raise RecordError(
            _("%(month)s 已定稿，记录不能新增或修改；如需更正请先由人力资源部重开该月。")
            % {"month": f"{locked[0]:%Y-%m}"}
        )
    with transaction.atomic():
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
        # Read afresh: a ModelForm's validation has already set the new values on the instance it had.
        record = model.objects.select_for_update().select_related("staff").get(pk=record.pk)
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


def month_lock(*, month: datetime.date) -> None:
    """Closes a month to new and changed records (called when a period is finalized)."""
    MonthLock.objects.get_or_create(month=month.replace(day=1))


def month_unlock(*, month: datetime.date) -> None:
    """Opens a month again (called when a finalized period is reopened with a reason)."""
    MonthLock.objects.filter(month=month.replace(day=1)).delete()
