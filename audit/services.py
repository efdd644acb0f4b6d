"""Writing history. Callers pass plain values; this module turns them into text."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from audit.models import Change


def _as_text(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (Decimal, float)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def field_changes(old: dict, new: dict) -> dict:
    """The fields whose value differs, as {field: [old, new]}."""
    return {
        name: [_as_text(old.get(name)), _as_text(value)]
        for name, value in new.items()
        if _as_text(old.get(name)) != _as_text(value)
    }


def change_record(
    *,
    obj: models.Model,
    action: str,
    fields: dict | None = None,
    reason: str = "",
    user=None,
    source: str = "",
) -> Change:
    return Change.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        fields=fields or {},
        reason=reason,
        user=user,
        source=source,
    )


def changes_record_bulk(
    *,
    model: type[models.Model],
    entries: Iterable[tuple],
    action: str,
    reason: str = "",
    user=None,
    source: str = "",
) -> int:
    """Bulk history for imports: entries are (pk, repr, fields)."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    rows = [
        Change(
            content_type=content_type,
            object_id=str(pk),
            object_repr=str(label)[:200],
            action=action,
            fields=fields,
            reason=reason,
            user=user,
            source=source,
        )
        for pk, label, fields in entries
    ]
    Change.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
