"""The `targets` import file (CONTRACT.md §1), registered with metrics' import machinery.

A target's scope is `bank`, a branch code (the head office's code means `bank`), or an
employee number; a scope that is both a branch code and an employee number is an error,
because nobody could tell which was meant. Deposit targets are the reference in 万元 of
daily-average contribution (SCORING.md §1–§2).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisals.models import ScopeKind, Target, TargetItem
from audit.models import Change
from audit.services import changes_record_bulk
from core.imports.cells import Choice, Column, Month, Number, Text
from core.imports.kinds import (
    UPDATE_REASON,
    ImportContext,
    KindSpec,
    Plan,
    Rows,
    finalized_message,
    history_source,
    register,
)
from staff.models import Level
from staff.selectors import branch_scopes, staff_ids_by_employee_no


@dataclass(frozen=True)
class TargetRow:
    position: int
    month: object
    scope_kind: str
    scope_id: int | None
    item: str
    target: Decimal


def _scope(text: str, branches: dict, staff_ids: dict) -> tuple[str | None, int | None, str]:
    """(scope_kind, id, error) for one scope cell."""
    if text.lower() == "bank":
        return ScopeKind.BANK, None, ""
    branch = branches.get(text)
    member = staff_ids.get(text)
    if branch and member:
        return None, None, _("%(scope)s 既是机构号又是员工编号，无法分辨") % {"scope": text}
    if branch:
        branch_id, level = branch
        if level == Level.HEAD_OFFICE:
            return ScopeKind.BANK, None, ""
        return ScopeKind.BRANCH, branch_id, ""
    if member:
        return ScopeKind.STAFF, member, ""
    return None, None, _("%(scope)s 既不是 bank，也不是已知的机构号或员工编号") % {"scope": text}


def prepare_targets(rows: Rows, context: ImportContext) -> Plan:
    months, scopes, items, values = (
        rows.value("period"),
        rows.text("scope"),
        rows.value("item"),
        rows.value("target"),
    )
    rows.value("scope")
    branches = branch_scopes()
    staff_ids = staff_ids_by_employee_no(employee_nos=[s for s in scopes if s])
    locked = context.locked_months
    parsed: list[TargetRow] = []
    seen: dict[tuple, int] = {}
    for position in range(len(rows)):
        if rows.bad[position]:
            continue
        scope_kind, scope_id, error = _scope(scopes.iat[position], branches, staff_ids)
        if error:
            rows.flag_at(position, "scope", error)
            continue
        month = months.iat[position]
        if month in locked:
            rows.flag_at(position, "period", finalized_message(month))
            continue
        key = (month, scope_kind, scope_id, items.iat[position])
        if key in seen:
            rows.flag_at(
                position,
                "item",
                _("%(scope)s %(month)s 的 %(item)s 目标在本文件中出现了两次（首次在第 %(first)s 行）")
                % {
                    "item": items.iat[position],
                    "scope": scopes.iat[position],
                    "month": f"{month:%Y-%m}",
                    "first": rows.numbers[seen[key]],
                },
            )
            continue
        seen[key] = position
        parsed.append(
            TargetRow(position, month, scope_kind, scope_id, items.iat[position], Decimal(values.iat[position]))
        )

    stored = {
        (t.month, t.scope_kind, t.branch_id or t.staff_id, t.item): t
        for t in Target.objects.filter(month__in={row.month for row in parsed})
    }
    create, update, unchanged = [], [], 0
    for row in parsed:
        existing = stored.get((row.month, row.scope_kind, row.scope_id, row.item))
        if existing is None:
            create.append(row)
        elif existing.target == row.target:
            unchanged += 1
        elif context.update:
            update.append((existing, row))
        else:
            rows.flag_at(
                row.position,
                "target",
                _("目标已存为 %(old)s；如要改为 %(new)s，请用更新模式（--update）")
                % {"old": existing.target, "new": row.target},
            )

    def write(batch):
        with transaction.atomic():
            Target.objects.bulk_create(
                [
                    Target(
                        month=row.month,
                        scope_kind=row.scope_kind,
                        item=row.item,
                        target=row.target,
                        branch_id=row.scope_id if row.scope_kind == ScopeKind.BRANCH else None,
                        staff_id=row.scope_id if row.scope_kind == ScopeKind.STAFF else None,
                    )
                    for row in create
                ]
            )
            entries = []
            for existing, row in update:
                entries.append((existing.pk, str(existing), {"target": [str(existing.target), str(row.target)]}))
                existing.target = row.target
            Target.objects.bulk_update([existing for existing, _row in update], ["target"])
            changes_record_bulk(
                model=Target,
                entries=entries,
                action=Change.Action.UPDATE,
                reason=UPDATE_REASON,
                user=context.user,
                source=history_source(batch),
            )

    return Plan(created=len(create), updated=len(update), unchanged=unchanged, write=write)


def register_targets() -> None:
    register(
        KindSpec(
            name="targets",
            label=gettext_lazy("考核目标"),
            columns=(
                Column("period", "考核期", Month(), required=True),
                Column("scope", "范围", Text(32), required=True),
                Column("item", "指标", Choice(TargetItem), required=True),
                Column("target", "目标值", Number(0, 1_000_000_000, places=2), required=True),
            ),
            prepare=prepare_targets,
        )
    )
