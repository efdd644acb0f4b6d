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
from django.utils.translation import gettext as _

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
            say(_("已重置：删除了 %(what)s。") % {"what": _counts_text(deleted) or _("无（数据库本来为空）")})
        try:
            bank = build_demo_bank(seed=seed, months=months, staff=staff, end_month=end_month, today=today)
        except ValueError as error:
            raise DemoSeedError(str(error))
        say(
            _("演示银行：种子 %(seed)s，%(staff)s 名大堂经理，%(months)s 个月（%(first)s … %(last)s）。")
            % {
                "seed": seed,
                "staff": staff,
                "months": months,
                "first": f"{bank.months[0]:%Y-%m}",
                "last": f"{bank.months[-1]:%Y-%m}",
            }
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
    say(_("完成，用时 %(seconds).1f 秒。") % {"seconds": result.seconds})
    return result


def _refuse_if_not_empty() -> None:
    branches, staff = Branch.objects.count(), Staff.objects.count()
    if branches or staff:
        raise DemoSeedError(
            _(
                "seed_demo 拒绝改动这个数据库：其中已有 %(branches)d 个机构、%(staff)d 名员工。演示只写入空数据库，"
                "真实数据绝不会被覆盖。要删除演示写入的一切（记录、员工、机构、目标、月份、考核表、改进程序、"
                "导入批次、变更历史，以及除超级用户外的所有登录账号）并重新载入，请加 --reset 运行。"
            )
            % {"branches": branches, "staff": staff}
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
    for _attempt in range(20):
        try:
            with transaction.atomic():
                _total, deleted = queryset.delete()
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
    raise DemoSeedError(_("无法删除 %(model)s：仍有数据引用它。") % {"model": queryset.model._meta.verbose_name})


def _load(bank: DemoBank, folder: Path, say, *, keep: bool) -> DemoSeedResult:
    paths = bank.write(folder)
    if keep:
        say(_("导入文件，保存在 %(folder)s：") % {"folder": folder})
    else:
        say(_("导入文件（用 --output DIR 保存它们）："))
    result = DemoSeedResult(folder=folder)
    for demo_file, path in zip(bank.files, paths, strict=True):
        started = time.perf_counter()
        outcome = import_file(demo_file.kind, path, filename=demo_file.name)
        if not outcome.ok:
            errors = [str(error) for error in outcome.errors]
            shown = "\n  ".join(errors[:20])
            more = _("\n  ……另有 %(count)d 处") % {"count": len(errors) - 20} if len(errors) > 20 else ""
            raise DemoSeedError(
                _(
                    "导入程序拒绝了 %(name)s（%(kind)s），数据库保持原样。"
                    "这是演示数据生成器（demo/generator.py）的缺陷：\n  %(errors)s%(more)s"
                )
                % {"name": demo_file.name, "kind": demo_file.kind, "errors": shown, "more": more}
            )
        result.imported[demo_file.name] = outcome.summary
        say(
            _("  %(name)-22s %(rows)7d 行  %(summary)s（%(seconds).1f 秒）")
            % {
                "name": demo_file.name,
                "rows": len(demo_file.rows),
                "summary": outcome.summary,
                "seconds": time.perf_counter() - started,
            }
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
    say(_("登录账号（密码均为 %(password)s）") % {"password": DEMO_PASSWORD})
    say(f"  {_('用户名'):<14} {_('角色'):<15} {_('可见范围')}")
    say(f"  {'hr':<14} {_('人力资源部'):<15} {_('全行')}")
    say(f"  {'hr2':<14} {_('人力资源部'):<15} {_('全行；第二位复核人，为 hr 复核过的月份定稿')}")
    for branch in sub_branches:
        sees = _("%(name)s（%(code)s）及其网点") % {"name": branch.name, "code": branch.code}
        say(f"  {'head-' + branch.code:<14} {_('机构负责人'):<15} {sees}")
    if lobby_managers:
        example = lobby_managers[0]
        sees = _("本人的考核表：每位大堂经理用员工编号登录，例如 %(no)s（%(name)s）；共 %(count)d 人") % {
            "no": example.employee_no,
            "name": example.name,
            "count": len(lobby_managers),
        }
        say(f"  {example.employee_no + ' …':<14} {_('大堂经理'):<15} {sees}")
    if existing:
        say(_("  保持原样（用户名已存在）：%(names)s") % {"names": _("、").join(sorted(existing))})
    return created


def create_demo_screens(*, branches: list[Branch], say) -> int:
    """One display screen per sub-branch (CONTRACT.md §2). Each URL holds its token, which is
    stored only as a hash, so this is the one time it is printed."""
    say("")
    say(_("展示屏（令牌在网址中，只显示这一次）："))
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
    say(_("看点（计算各月后可见考核表、末位标记和改进程序）："))
    say(_("  明星，约完成目标的 120%%，并有表扬信：%(who)s") % {"who": who(story["star"])})
    lows = _("、").join(who(no) for no in story["low_performers"])
    say(
        _("  %(branch)s 的持续低绩效者，自 %(month)s 起连续三个月末位，随后启动改进程序：%(who)s")
        % {"branch": branches[story["low_group"]], "month": story["low_months"][0], "who": lows}
    )
    say(
        _("  %(date)s 从 %(from)s 调至 %(to)s：%(who)s")
        % {
            "date": mover["changed_on"],
            "from": branches[mover["from"]],
            "to": branches[mover["to"]],
            "who": who(mover["employee_no"]),
        }
    )
    say(
        _("  %(date)s 离职：%(who)s")
        % {"date": story["leaver"]["changed_on"], "who": who(story["leaver"]["employee_no"])}
    )
    maternity = story["maternity"]
    say(
        _("  产假 %(start)s … %(end)s（豁免月份）：%(who)s")
        % {"start": maternity["start"], "end": maternity["end"], "who": who(maternity["employee_no"])}
    )
    say(
        _("  %(month)s 被确认的重大投诉（一票否决）：%(who)s")
        % {"month": story["veto"]["month"], "who": who(story["veto"]["employee_no"])}
    )
    hires = _("、").join(
        _("%(who)s（自 %(date)s 起）") % {"who": who(p["employee_no"]), "date": p["position_since"]}
        for p in story["probation"]
    )
    say(_("  新提拔到大堂、试用期中：%(who)s") % {"who": hires})


def _counts_text(counts: dict[str, int]) -> str:
    """ "12 个机构、… " : each model by its name in the active language."""

    def name(label: str) -> str:
        try:
            return str(apps.get_model(label)._meta.verbose_name)
        except (LookupError, ValueError):
            return label

    return _("、").join(
        _("%(name)s %(count)d 条") % {"name": name(label), "count": count} for label, count in sorted(counts.items())
    )


class _Say:
    """Writes whole lines to a command's stdout (which adds no second newline) or any stream."""

    def __init__(self, stream: TextIO | None):
        self.stream = stream

    def __call__(self, text: str = "") -> None:
        if self.stream is not None:
            self.stream.write(text + "\n")
