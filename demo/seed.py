"""`seed_demo`: writes the demo bank's import files, feeds them through the real importer, and
creates the demo sign-ins (CONTRACT.md §2).

Going through `metrics.services.import_file` rather than writing rows directly means the demo holds
exactly what a bank's own files would produce, and a file the importer rejects is a bug in
the generator, reported as such.
"""

import datetime
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.utils import timezone

from audit.models import Change
from core.errors import LobbyStarError
from demo.generator import DemoBank, build_demo_bank, last_full_month
from metrics.models import RECORD_MODELS, ImportBatch, MonthLock
from metrics.services import import_file
from screens.selectors import screen_url
from screens.services import screen_create
from staff.models import Branch, Level, Membership, Position, Role, Staff, Status
from staff.roles import Grant, memberships_create_bulk

DEMO_PASSWORD = "lobbystar-demo"
# Appraisal data goes before the staff and branches it points at, the periods last.
APPRAISAL_MODELS = ["ImprovementCase", "Scorecard", "Target", "Period"]
# Written for HR as an example even where this version cannot import it yet.


class DemoSeedError(LobbyStarError):
    """The demo could not be seeded; the message says why and what to do."""


@dataclass
class DemoSeedResult:
    folder: Path | None
    imported: dict[str, str] = field(default_factory=dict)  # file name → importer summary
    sign_ins: int = 0
    screens: int = 0
    seconds: float = 0.0
    bank: DemoBank | None = None


def demo_seed(
    *,
    seed: int,
    months: int,
    staff: int,
    reset: bool,
    output: Path | str | None = None,
    stdout: TextIO | None = None,
    today: datetime.date | None = None,
) -> DemoSeedResult:
    """Builds the demo bank for the `months` months before today's and loads it.

    Refuses a database that holds any branch or staff member unless `reset`, which first
    deletes the demo's data (see `demo_data_delete`). Everything runs in one transaction,
    so a failure leaves the database as it was.
    """
    started = time.perf_counter()
    say = _Say(stdout)
    today = today or timezone.localdate()
    end_month = last_full_month(today)
    with transaction.atomic():
        if not reset:
            _refuse_if_not_empty()
        else:
            deleted = demo_data_delete()
            say(f"Reset: deleted {_counts_text(deleted) or 'nothing (the database was empty)'}.")
        try:
            bank = build_demo_bank(seed=seed, months=months, staff=staff, end_month=end_month, today=today)
        except ValueError as error:
            raise DemoSeedError(str(error))
        say(
            f"Demo bank: seed {seed}, {staff} lobby managers, {months} months "
            f"{bank.months[0]:%Y-%m} … {bank.months[-1]:%Y-%m}."
        )
        if output:
            result = _load(bank, Path(output), say, keep=True)
        else:
            with tempfile.TemporaryDirectory(prefix="lobbystar-demo-") as folder:
                result = _load(bank, Path(folder), say, keep=False)
                result.folder = None
        result.bank = bank
        result.sign_ins = _sign_ins_create(say)
        result.screens = create_demo_screens(
            branches=list(Branch.objects.filter(level=Level.SUB_BRANCH).order_by("code")), say=say
        )
    _story_print(bank, say)
    result.seconds = time.perf_counter() - started
    say(f"Done in {result.seconds:.1f} s.")
    return result


def _refuse_if_not_empty() -> None:
    branches, staff = Branch.objects.count(), Staff.objects.count()
    if branches or staff:
        raise DemoSeedError(
            f"seed_demo refused to touch this database: it already holds {branches} branches and "
            f"{staff} staff members. The demo only fills an empty database, so real data is never "
            f"overwritten. To delete everything the demo writes (records, staff, branches, targets, "
            f"periods, scorecards, cases, import batches, history and every sign-in except "
            f"superusers) and seed again, run it with --reset."
        )


def demo_data_delete() -> dict[str, int]:
    """Deletes what the demo writes, and anything pointing at it; superusers and schemes stay.

    Returns the number of rows deleted per model label.
    """
    counts: dict[str, int] = {}
    querysets: list[QuerySet] = []
    for name in APPRAISAL_MODELS:
        try:
            querysets.append(apps.get_model("appraisals", name).objects.all())
        except LookupError:
            pass
    querysets += [model.objects.all() for model in RECORD_MODELS.values()]
    querysets += [
        ImportBatch.objects.all(),
        MonthLock.objects.all(),
        Membership.objects.all(),
        get_user_model().objects.filter(is_superuser=False),
        Staff.objects.all(),
    ]
    # Branches from the leaves up: a parent is protected by its children.
    querysets += [Branch.objects.filter(level=level) for level in reversed(Level.values)]
    querysets.append(Change.objects.all())
    for queryset in querysets:
        for label, count in _delete_with_dependents(queryset).items():
            counts[label] = counts.get(label, 0) + count
    return {label: count for label, count in counts.items() if count}


def _delete_with_dependents(queryset: QuerySet, depth: int = 0) -> dict[str, int]:
    """Deletes `queryset`, first deleting whatever protects its rows (screens, cases …)."""
    counts: dict[str, int] = {}
    for _ in range(20):
        try:
            with transaction.atomic():
                _, deleted = queryset.delete()
            for label, count in deleted.items():
                counts[label] = counts.get(label, 0) + count
            return counts
        except (ProtectedError, RestrictedError) as error:
            if depth > 10:
                raise
            blockers = getattr(error, "protected_objects", None) or error.restricted_objects
            by_model: dict = {}
            for obj in blockers:
                by_model.setdefault(type(obj), []).append(obj.pk)
            for model, pks in by_model.items():
                deleted = _delete_with_dependents(model.objects.filter(pk__in=pks), depth + 1)
                for label, count in deleted.items():
                    counts[label] = counts.get(label, 0) + count
    raise DemoSeedError(f"Could not delete {queryset.model._meta.label}: rows keep pointing at it.")


def _load(bank: DemoBank, folder: Path, say, *, keep: bool) -> DemoSeedResult:
    paths = bank.write(folder)
    say(f"Import files, kept in {folder}:" if keep else "Import files (use --output DIR to keep them):")
    result = DemoSeedResult(folder=folder)
    for demo_file, path in zip(bank.files, paths, strict=True):
        started = time.perf_counter()
        outcome = import_file(demo_file.kind, path, filename=demo_file.name)
        if not outcome.ok:
            errors = [str(error) for error in outcome.errors]
            shown = "\n  ".join(errors[:20])
            more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
            raise DemoSeedError(
                f"The importer rejected {demo_file.name} ({demo_file.kind}), so the database was left as "
                f"it was. This is a bug in the demo generator (demo/generator.py):\n"
                f"  {shown}{more}"
            )
        result.imported[demo_file.name] = outcome.summary
        say(
            f"  {demo_file.name:<22} {len(demo_file.rows):>7} rows  {outcome.summary}"
            f"  ({time.perf_counter() - started:.1f} s)"
        )
    return result


def _sign_ins_create(say) -> int:
    """hr and hr2 (two HR officers: one reviews a month, the other finalizes it), head-<code> for
    every sub-branch, and every active lobby manager by employee number."""
    sub_branches = list(Branch.objects.filter(level=Level.SUB_BRANCH).order_by("code"))
    lobby_managers = list(
        Staff.objects.filter(position=Position.LOBBY_MANAGER, status=Status.ACTIVE).order_by("employee_no")
    )
    grants = [Grant("hr", Role.HR), Grant("hr2", Role.HR)]
    grants += [Grant(f"head-{branch.code}", Role.BRANCH_HEAD, branch_id=branch.pk) for branch in sub_branches]
    grants += [Grant(person.employee_no, Role.LOBBY_MANAGER, staff_id=person.pk) for person in lobby_managers]
    existing = set(
        get_user_model().objects.filter(username__in=[g.username for g in grants]).values_list("username", flat=True)
    )
    created = memberships_create_bulk(grants=[g for g in grants if g.username not in existing], password=DEMO_PASSWORD)
    say("")
    say(f"Sign-ins (password for all: {DEMO_PASSWORD})")
    say(f"  {'user name':<14} {'role':<15} sees")
    say(f"  {'hr':<14} {'HR':<15} the whole bank")
    say(f"  {'hr2':<14} {'HR':<15} the whole bank; the second pair of eyes who finalizes what hr reviewed")
    for branch in sub_branches:
        say(f"  {'head-' + branch.code:<14} {'branch head':<15} {branch.name} ({branch.code}) and its outlets")
    if lobby_managers:
        example = lobby_managers[0]
        say(
            f"  {example.employee_no + ' …':<14} {'lobby manager':<15} their own scorecard: each "
            f"lobby manager signs in with their employee number, "
            f"e.g. {example.employee_no} ({example.name}); {len(lobby_managers)} in all"
        )
    if existing:
        say(f"  Kept as they were (the user names already exist): {', '.join(sorted(existing))}")
    return created


def create_demo_screens(*, branches: list[Branch], say) -> int:
    """One display screen per sub-branch (CONTRACT.md §2). Each URL holds its token, which is
    stored only as a hash, so this is the one time it is printed."""
    say("")
    say("Display screens (the token is in the URL and is shown only now):")
    for branch in branches:
        _screen, token = screen_create(branch=branch, name=f"demo-{branch.code}")
        say(f"  {branch.name:<12} {screen_url(token)}")
    return len(branches)


def _story_print(bank: DemoBank, say) -> None:
    """Who plays which part, so whoever shows the demo knows where to look."""
    story = bank.story
    names = {row["employee_no"]: row["name"] for row in bank.file("02_staff.csv").rows}
    branches = {row["code"]: row["name"] for row in bank.rows("branches")}

    def who(employee_no):
        return f"{employee_no} {names[employee_no]}"

    mover = story["mover"]
    say("")
    say("What to look for (compute the months to see scorecards, flags and cases):")
    say(f"  star, about 120% of targets and praise letters: {who(story['star'])}")
    lows = " and ".join(who(no) for no in story["low_performers"])
    say(
        f"  steady low performers in {branches[story['low_group']]} from {story['low_months'][0]}, "
        f"bottom-flagged three months running, then an improvement case: {lows}"
    )
    say(
        f"  moved from {branches[mover['from']]} to {branches[mover['to']]} on {mover['changed_on']}: "
        f"{who(mover['employee_no'])}"
    )
    say(f"  left on {story['leaver']['changed_on']}: {who(story['leaver']['employee_no'])}")
    say(
        f"  maternity leave {story['maternity']['start']} … {story['maternity']['end']} (exempt months): "
        f"{who(story['maternity']['employee_no'])}"
    )
    say(f"  upheld major complaint (veto) in {story['veto']['month']}: {who(story['veto']['employee_no'])}")
    hires = ", ".join(f"{who(p['employee_no'])} since {p['position_since']}" for p in story["probation"])
    say(f"  promoted into the lobby, on probation: {hires}")


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {label}" for label, count in sorted(counts.items()))


class _Say:
    """Writes whole lines to a command's stdout (which adds no second newline) or any stream."""

    def __init__(self, stream: TextIO | None):
        self.stream = stream

    def __call__(self, text: str = "") -> None:
        if self.stream is not None:
            self.stream.write(text + "\n")
