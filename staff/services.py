"""Writes to the organisation: the branch tree, staff with their assignment history, absences.

Each write comes in two steps, so that a whole import file can be checked before anything is
written: `<thing>_changes_plan` reads what is stored and says, item by item, what would happen
or what is wrong (nothing is written, so it also serves a dry run); `<thing>_changes_apply`
writes a plan that has no problems, in bulk, with history.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext as _

from audit.models import Change
from audit.services import changes_record_bulk, field_changes
from core.bulk import chunks
from staff.models import PARENT_LEVEL, Absence, AbsenceKind, Assignment, Branch, Level, Staff, Status
from staff.selectors import staff_ids_by_employee_no

# A staff member's first known assignment holds from the start of time (CONTRACT.md §1), except
# its position, held only from its `position_since`: who is scored reads both (engine_staff).
START_OF_TIME = datetime.date(1900, 1, 1)
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def _label(choices: type[TextChoices], value: str) -> str:
    with translation.override("zh-hans"):
        return f"{choices(value).label} ({value})"


@dataclass(frozen=True)
class Problem:
    """Why item `index` of a plan's input cannot be written; `field` names the input field."""

    index: int
    field: str
    message: str


@dataclass
class Changes:
    """What writing the input would do: one outcome per item (created, updated, unchanged)."""

    outcomes: list[str]
    problems: list[Problem] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for i, each in enumerate(self.outcomes) if each == outcome and i not in self.problem_indexes)

    @property
    def problem_indexes(self) -> set[int]:
        return {problem.index for problem in self.problems}


# ─── branches ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class BranchValues:
    code: str
    name: str
    level: str
    parent_code: str = ""


@dataclass
class BranchChanges(Changes):
    branches: Sequence[BranchValues] = ()
    tree: dict[str, BranchValues] = field(default_factory=dict)  # stored, overlaid with the input
    stored: dict[str, dict] = field(default_factory=dict)


def branch_changes_plan(*, branches: Sequence[BranchValues]) -> BranchChanges:
    """Checks the branch tree the input would make: parents exist (in the input or stored),
    each branch sits exactly one level below its parent, one head office, no cycles.
    Branches may come in any order; each code at most once."""
    codes = [branch.code for branch in branches]
    if len(set(codes)) != len(codes):
        raise ValueError("each branch code may appear only once in a plan")
    stored = {row["code"]: row for row in Branch.objects.values("id", "code", "name", "level", "parent__code", "path")}
    tree = {
        code: BranchValues(code, row["name"], row["level"], row["parent__code"] or "") for code, row in stored.items()
    }
    tree.update({branch.code: branch for branch in branches})
    index_of = {code: i for i, code in enumerate(codes)}
    changes = BranchChanges(outcomes=[], branches=branches, tree=tree, stored=stored)

    in_cycle = set()
    for cycle in _cycles(tree, start_codes=codes):
        in_cycle.update(cycle)
        first = min((code for code in cycle if code in index_of), key=index_of.get)
        loop = " → ".join([*cycle, cycle[0]])
        changes.problems.append(Problem(index_of[first], "parent_code", _("机构树中有环：%(loop)s") % {"loop": loop}))

    head_offices = sorted(
        (code for code, branch in tree.items() if branch.level == Level.HEAD_OFFICE),
        key=lambda code: (code not in stored, index_of.get(code, -1)),
    )
    for i, branch in enumerate(branches):
        problem = None
        if "/" in branch.code:
            problem = ("code", _("%(code)s：机构号不能含有 /") % {"code": branch.code})
        elif branch.code in in_cycle:
            pass
        elif branch.level == Level.HEAD_OFFICE:
            if branch.parent_code:
                problem = ("parent_code", _("总行没有上级机构；上级机构号（parent_code）请留空"))
            elif head_offices[0] != branch.code:
                problem = ("level", _("总行只能有一个，%(code)s 已是总行") % {"code": head_offices[0]})
        else:
            problem = _parent_problem(branch, tree)
        if problem:
            changes.problems.append(Problem(i, *problem))

    # A level changed in the input must still fit the stored branches under it.
    for code, branch in tree.items():
        parent = tree.get(branch.parent_code)
        if code in index_of or branch.parent_code not in index_of or parent is None:
            continue
        if PARENT_LEVEL.get(branch.level) != parent.level:
            changes.problems.append(
                Problem(
                    index_of[parent.code],
                    "level",
                    _("%(level)s %(code)s 隶属于 %(parent)s，因此 %(parent)s 不能改为%(parent_level)s")
                    % {
                        "level": _label(Level, branch.level),
                        "code": code,
                        "parent": parent.code,
                        "parent_level": _label(Level, parent.level),
                    },
                )
            )

    for branch in branches:
        old = stored.get(branch.code)
        if old is None:
            changes.outcomes.append(CREATED)
        elif (old["name"], old["level"], old["parent__code"] or "") == (
            branch.name,
            branch.level,
            branch.parent_code,
        ):
            changes.outcomes.append(UNCHANGED)
        else:
            changes.outcomes.append(UPDATED)
    return changes


def _parent_problem(branch: BranchValues, tree: dict[str, BranchValues]) -> tuple[str, str] | None:
    wanted = PARENT_LEVEL[Level(branch.level)]
    if not branch.parent_code:
        return (
            "parent_code",
            _("%(level)s必须填写上级机构号（parent_code，其上级应为%(wanted)s）")
            % {"level": _label(Level, branch.level), "wanted": _label(Level, wanted)},
        )
    parent = tree.get(branch.parent_code)
    if parent is None:
        return (
            "parent_code",
            _("未知的上级机构 %(code)s：既不在本文件中，也未录入系统") % {"code": branch.parent_code},
        )
    if parent.level != wanted:
        return (
            "level",
            _("上级机构 %(parent)s 是%(parent_level)s；%(level)s的上级必须是%(wanted)s")
            % {
                "parent": parent.code,
                "parent_level": _label(Level, parent.level),
                "level": _label(Level, branch.level),
                "wanted": _label(Level, wanted),
            },
        )
    return None


def _cycles(tree: dict[str, BranchValues], *, start_codes: Sequence[str]) -> list[list[str]]:
    """The cycles reachable by walking up from `start_codes`, each as its codes, child first."""
    cycles, settled = [], set()
    for start in start_codes:
        walk, on_walk = [], {}
        code = start
        while code and code in tree and code not in settled:
            if code in on_walk:
                cycles.append(walk[on_walk[code] :])
                break
            on_walk[code] = len(walk)
            walk.append(code)
            code = tree[code].parent_code
        settled.update(walk)
    return cycles


def _paths(tree: dict[str, BranchValues]) -> dict[str, str]:
    """The materialised path of every branch: "/HO/B01/S0101/"."""
    paths: dict[str, str] = {}

    def path_of(code: str) -> str:
        if code not in paths:
            parent = tree[code].parent_code
            paths[code] = f"{path_of(parent) if parent else '/'}{code}/"
        return paths[code]

    for code in tree:
        path_of(code)
    return paths


def _branch_fields(branch: BranchValues) -> dict:
    return {"name": branch.name, "level": branch.level, "parent": branch.parent_code or None}


def branch_changes_apply(*, changes: BranchChanges, user=None, source: str = "", reason: str = "") -> None:
    """Writes a plan: new branches parents first, changed ones, and the path of every branch
    whose place in the tree moved (descendants of a moved branch included)."""
    if changes.problems:
        raise ValueError("a plan with problems cannot be applied")
    paths = _paths(changes.tree)
    ids = {code: row["id"] for code, row in changes.stored.items()}
    new = [branch for branch, outcome in zip(changes.branches, changes.outcomes, strict=True) if outcome == CREATED]
    created = []
    for depth in sorted({paths[branch.code].count("/") for branch in new}):
        level_rows = [
            Branch(
                code=branch.code,
                name=branch.name,
                level=branch.level,
                path=paths[branch.code],
                parent_id=ids.get(branch.parent_code),
            )
            for branch in new
            if paths[branch.code].count("/") == depth
        ]
        Branch.objects.bulk_create(level_rows, batch_size=500)
        ids.update({row.code: row.pk for row in level_rows})
        created.extend(level_rows)

    changed = {
        branch.code for branch, outcome in zip(changes.branches, changes.outcomes, strict=True) if outcome == UPDATED
    }
    updates, history = [], []
    for code, old in changes.stored.items():
        if code not in changed and old["path"] == paths[code]:
            continue
        branch = changes.tree[code]
        updates.append(
            Branch(
                id=old["id"],
                code=code,
                name=branch.name,
                level=branch.level,
                parent_id=ids.get(branch.parent_code),
                path=paths[code],
            )
        )
        if code in changed:
            before = {"name": old["name"], "level": old["level"], "parent": old["parent__code"]}
            history.append((old["id"], f"{branch.name}（{code}）", field_changes(before, _branch_fields(branch))))
    Branch.objects.bulk_update(updates, ["name", "level", "parent", "path"], batch_size=500)
    changes_record_bulk(
        model=Branch,
        action=Change.Action.CREATE,
        user=user,
        source=source,
        reason=reason,
        entries=[
            (
                row.pk,
                str(row),
                field_changes({}, {"code": row.code, **_branch_fields(changes.tree[row.code])}),
            )
            for row in created
        ],
    )
    changes_record_bulk(
        model=Branch, action=Change.Action.UPDATE, user=user, source=source, reason=reason, entries=history
    )


# ─── staff ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class StaffValues:
    """A row of the staff file. `status` and `hired_on` None: not given (kept as stored);
    `changed_on` None: a change takes effect on the plan's default day."""

    employee_no: str
    name: str
    branch_code: str
    position: str
    position_since: datetime.date
    hired_on: datetime.date | None = None
    status: str | None = None
    changed_on: datetime.date | None = None
    email: str | None = None
    wecom_userid: str | None = None


@dataclass
class Member:
    """A staff member as a plan goes through their rows: the fields as stored (`before`, empty
    for someone new) and as the rows leave them (`current`), and their assignments — the open
    one stored, if any, then those the plan opens. Only assignments marked `dirty` are written."""

    id: int | None
    before: dict
    current: dict
    assignments: list[dict]
    changed_on: datetime.date | None = None  # of the last change of assignment, for history

    @property
    def is_new(self) -> bool:
        return self.id is None

    @property
    def changed(self) -> bool:
        return self.current != self.before


@dataclass
class StaffChanges(Changes):
    # Items that change what someone holds, with the day the change takes effect.
    effective: dict[int, datetime.date] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)  # by employee_no


_ASSIGNED = ("branch_id", "position", "status")  # what a change of assignment is about
_STAFF_FIELDS = ("name", "branch_id", "position", "position_since", "hired_on", "status", "email", "wecom_userid")
_ASSIGNMENT_FIELDS = ("branch_id", "position", "position_since", "status", "valid_from", "valid_to")


def staff_changes_plan(*, people: Sequence[StaffValues], default_changed_on: datetime.date) -> StaffChanges:
    """What importing these rows would change (CONTRACT.md §1): a new member's first row holds
    from the start of time, its position only from its `position_since`; a later row whose
    branch, position or status differs closes the open assignment on `changed_on` and opens a
    new one; the same row again changes nothing. Rows of one member are taken in the order of
    their `changed_on`."""
    branch_ids = dict(Branch.objects.values_list("code", "id"))
    changes = StaffChanges(outcomes=[UNCHANGED] * len(people), members=_stored_members(people))
    seen_days: set[tuple[str, datetime.date]] = set()
    for i in sorted(range(len(people)), key=lambda i: (people[i].changed_on or default_changed_on, i)):
        person = people[i]
        day = person.changed_on or default_changed_on
        if person.branch_code not in branch_ids:
            message = _("未知机构 %(code)s（请先导入机构文件，或更正机构号）") % {"code": person.branch_code}
            changes.problems.append(Problem(i, "branch_code", message))
            continue
        if (person.employee_no, day) in seen_days:
            message = _(
                "员工 %(employee_no)s 有多行的变动日期相同（%(day)s）；每次变动请填写各自的变动日期（changed_on）"
            ) % {"employee_no": person.employee_no, "day": day}
            changes.problems.append(Problem(i, "changed_on", message))
            continue
        seen_days.add((person.employee_no, day))
        wanted = {
            "name": person.name,
            "branch_id": branch_ids[person.branch_code],
            "position": person.position,
            "position_since": person.position_since,
            "hired_on": person.hired_on,
            "status": person.status,
            "email": person.email,
            "wecom_userid": person.wecom_userid,
        }
        member = changes.members.get(person.employee_no)
        if member is None:
            wanted["status"] = wanted["status"] or Status.ACTIVE
            wanted.update(email=wanted["email"] or "", wecom_userid=wanted["wecom_userid"] or "")
            changes.members[person.employee_no] = Member(
                id=None, before={}, current=wanted, assignments=[_assignment(wanted, valid_from=START_OF_TIME)]
            )
            changes.outcomes[i] = CREATED
            continue
        outcome, effective, problem = _apply_row(member, wanted, day=day)
        if problem:
            changes.problems.append(Problem(i, "changed_on", problem))
            continue
        changes.outcomes[i] = outcome
        if effective:
            changes.effective[i] = effective
    return changes


def _apply_row(member: Member, wanted: dict, *, day: datetime.date) -> tuple[str, datetime.date | None, str]:
    """Moves `member` to a row's values: (outcome, the day a change of assignment takes effect,
    a problem that stops the row — "" when none)."""
    current = member.current
    for name in ("hired_on", "status", "email", "wecom_userid"):
        if wanted[name] is None:
            wanted[name] = current[name]  # not given: kept as it is
    if wanted == current:
        return UNCHANGED, None, ""
    opened = member.assignments[-1] if member.assignments else None
    effective = None
    if any(wanted[name] != current[name] for name in _ASSIGNED):
        if opened and day < opened["valid_from"]:
            problem = _("变动日期 %(day)s 早于当前任职的开始日期（%(since)s）；变动须按日期先后导入") % {
                "day": day,
                "since": opened["valid_from"],
            }
            return UNCHANGED, None, problem
        if opened and day == opened["valid_from"]:
            opened.update(_assignment(wanted, valid_from=day), id=opened["id"])  # corrects that day's change
        else:
            if opened:
                opened.update(valid_to=day, dirty=True)
            member.assignments.append(_assignment(wanted, valid_from=day))
        member.changed_on = effective = day
    elif opened and wanted["position_since"] != current["position_since"]:
        opened.update(position_since=wanted["position_since"], dirty=True)
    member.current = wanted
    return UPDATED, effective, ""


def _stored_members(people: Sequence[StaffValues]) -> dict[str, Member]:
    """The stored staff among `people`, each with their open assignment."""
    rows = {}
    for chunk in chunks({person.employee_no for person in people}):
        for row in Staff.objects.filter(employee_no__in=chunk).values("id", "employee_no", *_STAFF_FIELDS):
            rows[row["employee_no"]] = row
    opened = {}
    for chunk in chunks([row["id"] for row in rows.values()]):
        for row in Assignment.objects.filter(staff_id__in=chunk, valid_to__isnull=True).order_by("valid_from").values():
            opened[row["staff_id"]] = dict(row, dirty=False)  # the latest, should there be several
    return {
        employee_no: Member(
            id=row["id"],
            before={name: row[name] for name in _STAFF_FIELDS},
            current={name: row[name] for name in _STAFF_FIELDS},
            assignments=[opened[row["id"]]] if row["id"] in opened else [],
        )
        for employee_no, row in rows.items()
    }


def _assignment(values: dict, *, valid_from: datetime.date) -> dict:
    held = {name: values[name] for name in ("branch_id", "position", "position_since", "status")}
    return {"id": None, **held, "valid_from": valid_from, "valid_to": None, "dirty": True}


def staff_changes_apply(*, changes: StaffChanges, user=None, source: str = "", reason: str = "") -> None:
    """Writes a plan: new staff with their assignments, changed staff, closed and opened
    assignments, and the history of every staff member created or changed."""
    if changes.problems:
        raise ValueError("a plan with problems cannot be applied")
    members = {employee_no: member for employee_no, member in changes.members.items() if member.changed}
    new = {employee_no: member for employee_no, member in members.items() if member.is_new}
    rows = [Staff(employee_no=employee_no, **member.current) for employee_no, member in new.items()]
    Staff.objects.bulk_create(rows, batch_size=500)
    for member, row in zip(new.values(), rows, strict=True):
        member.id = row.pk
    changed = [Staff(id=member.id, **member.current) for member in members.values() if member.before]
    Staff.objects.bulk_update(changed, list(_STAFF_FIELDS), batch_size=500)

    edited, opened = [], []
    for member in members.values():
        for held in member.assignments:
            if held["dirty"]:
                fields = {name: held[name] for name in _ASSIGNMENT_FIELDS}
                (opened if held["id"] is None else edited).append(
                    Assignment(id=held["id"], staff_id=member.id, **fields)
                )
    Assignment.objects.bulk_update(edited, list(_ASSIGNMENT_FIELDS), batch_size=500)
    Assignment.objects.bulk_create(opened, batch_size=500)

    codes = dict(Branch.objects.values_list("id", "code"))

    def shown(values: dict) -> dict:
        """Fields as history shows them: the branch by its code."""
        values = dict(values)
        values["branch"] = codes.get(values.pop("branch_id", None))
        return values

    created, updated = [], []
    for employee_no, member in members.items():
        label = f"{member.current['name']}（{employee_no}）"
        if not member.before:
            created.append((member.id, label, field_changes({}, {"employee_no": employee_no, **shown(member.current)})))
            continue
        fields = field_changes(shown(member.before), shown(member.current))
        if member.changed_on:
            fields["changed_on"] = [None, member.changed_on.isoformat()]
        updated.append((member.id, label, fields))
    for action, entries in ((Change.Action.CREATE, created), (Change.Action.UPDATE, updated)):
        changes_record_bulk(model=Staff, entries=entries, action=action, user=user, source=source, reason=reason)


# ─── absences ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class AbsenceValues:
    """Days away, inclusive at both ends; `kind` None means other."""

    employee_no: str
    start: datetime.date
    end: datetime.date
    kind: str | None = None


@dataclass
class AbsenceChanges(Changes):
    absences: Sequence[AbsenceValues] = ()
    staff_ids: dict[str, int] = field(default_factory=dict)
    stored: dict[tuple, dict] = field(default_factory=dict)


def absence_changes_plan(*, absences: Sequence[AbsenceValues], update: bool = False) -> AbsenceChanges:
    """Absences are keyed by staff member, start and end: the same key with the same kind is
    unchanged; with another kind it is a problem unless `update`."""
    keys = [(absence.employee_no, absence.start, absence.end) for absence in absences]
    if len(set(keys)) != len(keys):
        raise ValueError("each absence (employee, start, end) may appear only once in a plan")
    staff_ids = staff_ids_by_employee_no(employee_nos={absence.employee_no for absence in absences})
    stored = {}
    for chunk in chunks(set(staff_ids.values())):
        for row in Absence.objects.filter(staff_id__in=chunk).values("id", "staff_id", "start", "end", "kind"):
            stored[(row["staff_id"], row["start"], row["end"])] = row
    changes = AbsenceChanges(outcomes=[], absences=absences, staff_ids=staff_ids, stored=stored)
    for i, absence in enumerate(absences):
        kind = absence.kind or AbsenceKind.OTHER
        staff_id = staff_ids.get(absence.employee_no)
        old = stored.get((staff_id, absence.start, absence.end))
        changes.outcomes.append(CREATED if old is None else UNCHANGED if old["kind"] == kind else UPDATED)
        problem = None
        if staff_id is None:
            problem = Problem(
                i,
                "employee_no",
                _("未知员工 %(employee_no)s（请先导入员工文件，或更正员工编号）")
                % {"employee_no": absence.employee_no},
            )
        elif absence.end < absence.start:
            problem = Problem(
                i,
                "end",
                _("缺勤的结束日期（%(end)s）早于开始日期（%(start)s）") % {"end": absence.end, "start": absence.start},
            )
        elif old is not None and old["kind"] != kind and not update:
            problem = Problem(
                i,
                "kind",
                _(
                    "员工 %(employee_no)s 自 %(start)s 至 %(end)s 的缺勤已存为%(kind)s；"
                    "如要修改，请用更新模式（--update）"
                )
                % {
                    "employee_no": absence.employee_no,
                    "start": absence.start,
                    "end": absence.end,
                    "kind": _label(AbsenceKind, old["kind"]),
                },
            )
        if problem:
            changes.problems.append(problem)
    return changes


def absence_changes_apply(*, changes: AbsenceChanges, user=None, source: str = "", reason: str = "") -> None:
    """Writes a plan: new absences, and the kind of changed ones, with history."""
    if changes.problems:
        raise ValueError("a plan with problems cannot be applied")
    new, changed, history = [], [], []
    for absence, outcome in zip(changes.absences, changes.outcomes, strict=True):
        staff_id = changes.staff_ids[absence.employee_no]
        kind = absence.kind or AbsenceKind.OTHER
        label = f"{absence.employee_no} {absence.start}–{absence.end}"
        if outcome == CREATED:
            new.append(Absence(staff_id=staff_id, start=absence.start, end=absence.end, kind=kind))
        elif outcome == UPDATED:
            old = changes.stored[(staff_id, absence.start, absence.end)]
            changed.append(Absence(id=old["id"], kind=kind))
            history.append((old["id"], label, field_changes({"kind": old["kind"]}, {"kind": kind})))
    Absence.objects.bulk_create(new, batch_size=500)
    Absence.objects.bulk_update(changed, ["kind"], batch_size=500)
    created = [
        (
            row.pk,
            f"{row.staff_id} {row.start}–{row.end}",
            field_changes({}, {"staff": row.staff_id, "start": row.start, "end": row.end, "kind": row.kind}),
        )
        for row in new
    ]
    for action, entries in ((Change.Action.CREATE, created), (Change.Action.UPDATE, history)):
        changes_record_bulk(model=Absence, entries=entries, action=action, user=user, source=source, reason=reason)
