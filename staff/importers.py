"""Import files of the organisation: branches, staff and absences (CONTRACT.md §1).

They are small (thousands of rows, not millions), so this module reads the cells, hands
plain values to `staff.services`, which owns the rules of the branch tree and of assignment
history, and turns what it finds wrong into row errors.
"""

from __future__ import annotations

import dataclasses
import datetime

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.imports.cells import Choice, Column, Date, Email, Text
from core.imports.kinds import (
    IMPORT_REASON,
    UPDATE_REASON,
    ImportContext,
    KindSpec,
    Plan,
    Rows,
    finalized_message,
    flag_repeated,
    history_source,
    register,
)
from staff.models import AbsenceKind, Level, Position, Status
from staff.services import (
    CREATED,
    UNCHANGED,
    UPDATED,
    AbsenceValues,
    BranchValues,
    Changes,
    StaffValues,
    absence_changes_apply,
    absence_changes_plan,
    branch_changes_apply,
    branch_changes_plan,
    staff_changes_apply,
    staff_changes_plan,
)


def _records(rows: Rows, names: list[str], usable: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    """The positions of the usable rows, and their values by column name."""
    positions = np.flatnonzero(usable)
    columns = {name: rows.value(name).to_numpy(dtype=object)[positions].tolist() for name in names}
    return positions, [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _plan_from(changes: Changes, rows: Rows, positions: np.ndarray) -> Plan:
    for problem in changes.problems:
        rows.flag_at(int(positions[problem.index]), problem.field, problem.message)
    return Plan(created=changes.count(CREATED), updated=changes.count(UPDATED), unchanged=changes.count(UNCHANGED))


# ─── branches ─────────────────────────────────────────────────────────────────────────────


def prepare_branches(rows: Rows, context: ImportContext) -> Plan:
    for name in ("code", "name", "parent_code", "level"):
        rows.value(name)
    codes = rows.value("code")
    flag_repeated(rows, codes, "code", what=_("机构 %(value)s"))
    # A row with a bad name still places its branch in the tree, so its children are not
    # reported as orphans too.
    usable = (codes.notna() & rows.value("level").notna() & ~codes.duplicated(keep="first")).to_numpy()
    positions, values = _records(rows, ["code", "name", "parent_code", "level"], usable)
    changes = branch_changes_plan(
        branches=[
            BranchValues(
                code=row["code"],
                name=row["name"] or "",
                level=row["level"],
                parent_code=row["parent_code"] or "",
            )
            for row in values
        ]
    )
    plan = _plan_from(changes, rows, positions)
    plan.write = lambda batch: branch_changes_apply(
        changes=changes, user=context.user, source=history_source(batch), reason=IMPORT_REASON
    )
    return plan


# ─── staff ────────────────────────────────────────────────────────────────────────────────


# The staff file's columns are the fields of a StaffValues, in the same order.
_STAFF_COLUMNS = [value.name for value in dataclasses.fields(StaffValues)]


def prepare_staff(rows: Rows, context: ImportContext) -> Plan:
    for name in _STAFF_COLUMNS:
        rows.value(name)
    positions, values = _records(rows, _STAFF_COLUMNS, ~rows.bad)
    changes = staff_changes_plan(people=[StaffValues(**row) for row in values], default_changed_on=context.today)
    plan = _plan_from(changes, rows, positions)
    locked = context.locked_months
    for index, day in changes.effective.items():
        if day.replace(day=1) in locked:
            rows.flag_at(
                int(positions[index]),
                "changed_on",
                _("这次变动于 %(day)s 生效：%(finalized)s") % {"day": day, "finalized": finalized_message(day)},
            )
    plan.write = lambda batch: staff_changes_apply(
        changes=changes, user=context.user, source=history_source(batch), reason=IMPORT_REASON
    )
    return plan


# ─── absences ─────────────────────────────────────────────────────────────────────────────


def prepare_absences(rows: Rows, context: ImportContext) -> Plan:
    employee_nos, starts, ends = rows.value("employee_no"), rows.value("start"), rows.value("end")
    rows.value("kind")
    complete = employee_nos.notna() & starts.notna() & ends.notna()
    keys = pd.Series(None, index=rows.index, dtype=object)
    keys[complete] = employee_nos[complete] + " " + starts[complete].astype(str) + "–" + ends[complete].astype(str)
    flag_repeated(rows, keys, "start", what=_("缺勤 %(value)s"))
    positions, values = _records(rows, ["employee_no", "start", "end", "kind"], ~rows.bad)
    changes = absence_changes_plan(absences=[AbsenceValues(**row) for row in values], update=context.update)
    plan = _plan_from(changes, rows, positions)
    locked = sorted(context.locked_months)
    for index, outcome in enumerate(changes.outcomes):
        absence = changes.absences[index]
        if outcome == UNCHANGED or index in changes.problem_indexes:
            continue
        month = _first_locked_month(absence.start, absence.end, locked)
        if month:
            rows.flag_at(int(positions[index]), "start", finalized_message(month))
    plan.write = lambda batch: absence_changes_apply(
        changes=changes,
        user=context.user,
        source=history_source(batch),
        reason=UPDATE_REASON if context.update else IMPORT_REASON,
    )
    return plan


def _first_locked_month(start: datetime.date, end: datetime.date, locked: list[datetime.date]):
    first = start.replace(day=1)
    return next((month for month in locked if first <= month <= end), None)


def register_kinds() -> None:
    """Adds branches, staff and absences to the kinds of import file (from StaffConfig.ready)."""
    register(
        KindSpec(
            name="branches",
            label=gettext_lazy("机构"),
            columns=(
                Column("code", "机构号", Text(32), required=True),
                Column("name", "机构名称", Text(100), required=True),
                Column("parent_code", "上级机构号", Text(32)),
                Column("level", "层级", Choice(Level), required=True),
            ),
            prepare=prepare_branches,
        )
    )
    register(
        KindSpec(
            name="staff",
            label=gettext_lazy("员工"),
            columns=(
                Column("employee_no", "员工编号", Text(32), required=True),
                Column("name", "姓名", Text(50), required=True),
                Column("branch_code", "机构号", Text(32), required=True),
                Column("position", "岗位", Choice(Position), required=True),
                Column("position_since", "任职日期", Date(), required=True),
                Column("hired_on", "入职日期", Date()),
                Column("status", "状态", Choice(Status)),
                Column("changed_on", "变动日期", Date()),
                Column("email", "邮箱", Email()),
                Column("wecom_userid", "企业微信账号", Text(64)),
            ),
            prepare=prepare_staff,
        )
    )
    register(
        KindSpec(
            name="absences",
            label=gettext_lazy("缺勤"),
            columns=(
                Column("employee_no", "员工编号", Text(32), required=True),
                Column("start", "开始日期", Date(), required=True),
                Column("end", "结束日期", Date(), required=True),
                Column("kind", "类型", Choice(AbsenceKind)),
            ),
            prepare=prepare_absences,
        )
    )
