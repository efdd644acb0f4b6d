"""Targets (SCORING.md §2) set by hand in the console; files go through `appraisals.importers`."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from appraisals.models import Period, PeriodStatus, ScopeKind, Target
from audit.models import Change
from audit.services import change_record, field_changes
from core.errors import LobbyStarError
from staff.models import Branch, Staff


def target_save(
    *,
    month: datetime.date,
    scope_kind: str,
    item: str,
    target: Decimal,
    branch: Branch | None = None,
    staff: Staff | None = None,
    reason: str = "",
    user,
) -> Target:
    """Adds or changes the target for one item at one scope (SCORING.md §2), keeping its history."""
    month = month.replace(day=1)
    target = Decimal(target).quantize(Decimal("0.01"))
    if Period.objects.filter(month=month, status=PeriodStatus.FINALIZED).exists():
        raise LobbyStarError(_("%(month)s 已定稿，目标不能再修改。") % {"month": f"{month:%Y-%m}"})
    scope = {"scope_kind": scope_kind, "branch": None, "staff": None}
    if scope_kind == ScopeKind.BRANCH:
        scope["branch"] = branch
    elif scope_kind == ScopeKind.STAFF:
        scope["staff"] = staff
    with transaction.atomic():
        existing = Target.objects.select_for_update().filter(month=month, item=item, **scope).first()
        if existing is None:
            saved = Target.objects.create(month=month, item=item, target=target, **scope)
            change_record(
                obj=saved,
                action=Change.Action.CREATE,
                user=user,
                reason=reason,
                fields={"target": [None, str(target)]},
                source="console",
            )
            return saved
        changes = field_changes({"target": existing.target}, {"target": target})
        if changes:
            existing.target = target
            existing.save(update_fields=["target"])
            change_record(
                obj=existing,
                action=Change.Action.UPDATE,
                user=user,
                reason=reason,
                fields=changes,
                source="console",
            )
        return existing
