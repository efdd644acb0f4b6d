"""Writes the console makes on the facts: checking and confirming an uploaded import, and adding
or correcting one record by hand with a reason (kept in its history through audit.services)."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from audit.models import Change
from audit.services import change_record, field_changes
from metrics.importers import KINDS, import_file, locked_months
from metrics.models import RECORD_MODELS
from metrics.pseudonyms import customer_hash


class RecordError(ValueError):
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
        before = _snapshot(record)
        for name, value in values.items():
            setattr(record, name, value)
        record.full_clean()
        changes = field_changes(before, _snapshot(record))
        if not changes:
            return record
        record.save()
        change_record(
            obj=record,
            action=Change.Action.UPDATE,
            user=user,
            reason=reason,
            fields=changes,
            source="console",
        )
    return record
