"""Reads of the change history, written for people: field labels instead of field names, a
choice's label instead of its code, a person or branch by name instead of an id."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from audit.models import Change

EMPTY = "—"


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


def _field_of(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        for field in model._meta.concrete_fields:
            if field.attname == name:
                return field
    return None


def _shown(field, value, related: dict) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is None:
        return str(value)
    if field.is_relation and field.many_to_one:
        key = (field.related_model, str(value))
        if key not in related:
            found = field.related_model._default_manager.filter(pk=value).first() if str(value).isdigit() else None
            related[key] = str(found) if found is not None else str(value)
        return related[key]
    if field.choices:
        labels = {str(code): label for code, label in field.flatchoices}
        return str(labels.get(str(value), value))
    if isinstance(field, models.BooleanField) and str(value).lower() in ("true", "false"):
        return _("是") if str(value).lower() == "true" else _("否")
    return str(value)


def change_fields(change: Change, related: dict | None = None) -> list[FieldChange]:
    """Each field of a change as a person reads it. `related` caches looked-up names across calls."""
    related = {} if related is None else related
    model = change.content_type.model_class() if change.content_type_id else None
    lines = []
    for name, values in (change.fields or {}).items():
        old, new = (list(values) + [None, None])[:2] if isinstance(values, (list, tuple)) else (None, values)
        field = _field_of(model, name)
        label = str(field.verbose_name) if field is not None else name
        lines.append(FieldChange(label, _shown(field, old, related), _shown(field, new, related)))
    return lines


def history_for_object(obj: models.Model, *, limit: int = 50) -> list[Change]:
    """The newest changes of one object, each with `.lines` to show (`change_fields`)."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    changes = list(
        Change.objects.filter(content_type=content_type, object_id=str(obj.pk)).select_related("user", "content_type")[
            :limit
        ]
    )
    related: dict = {}
    for change in changes:
        change.lines = change_fields(change, related)
    return changes
