"""What the PDF scorecards show, read in a handful of queries and turned into plain data.

One query for the month's scorecards (with staff, branch, peer group and scheme), one for
the twelve months of scores behind them, one for their write-ups — whatever the number of
people. The result is plain dicts and lists (text and numbers), so it can be hashed to decide
whether a file needs rendering again, and handed to another process to render.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery

from appraisals.models import (
    Appeal,
    AppealStatus,
    CaseStatus,
    ImprovementCase,
    Period,
    Scorecard,
    WriteUp,
    WriteUpScope,
)
from core.months import month_add
from core.numbers import fixed
from scoring import Scheme as SchemeData
from staff.models import Level
from staff.selectors import assignments_on, bank_name

TREND_MONTHS = 12
# What the pack cover's 备注 reads besides what the branch copy of a page shows.
COVER_NOTE_KEYS = ("bottom_flag", "rolling", "under_review", "open_case_stage", "case_opened")
# Bump when the look changes in a way the template files do not show (e.g. chart code).
LAYOUT_VERSION = 1


@dataclass
class Unit:
    """A sub-branch (支行) and the people whose scorecards go in its pack."""

    code: str
    name: str
    parent_name: str
    pages: list[dict] = field(default_factory=list)


@dataclass
class MonthPages:
    period: str  # YYYY-MM
    bank_name: str
    units: list[Unit]

    @property
    def pages(self) -> list[dict]:
        return [page for unit in self.units for page in unit.pages]


def _unit_of(branch):
    """The sub-branch a scorecard's pack belongs to: an outlet's parent, else the branch itself
    (someone placed at a sub-branch, a tier-1 branch or the head office)."""
    if branch.level == Level.OUTLET and branch.parent is not None:
        return branch.parent
    return branch


def _branch_label(branch) -> str:
    parent = branch.parent
    if branch.level == Level.OUTLET and parent is not None and not branch.name.startswith(parent.name):
        return f"{parent.name}{branch.name}"
    return branch.name


def month_pages(*, period: Period, branch_code: str | None = None, staff_ids=None) -> MonthPages:
    """Every scorecard of `period` as a page, grouped by sub-branch; only the subtree of
    `branch_code`, or only `staff_ids`, when given."""
    # With each card, in the same query: an open appeal on it (the flag is under review) and
    # the stage of the person's open improvement case, for the pack's 备注.
    open_appeal = Appeal.objects.filter(
        period_id=OuterRef("period_id"), staff_id=OuterRef("staff_id"), status=AppealStatus.OPEN
    )
    open_case = ImprovementCase.objects.filter(staff_id=OuterRef("staff_id"), status=CaseStatus.OPEN)
    cards_query = (
        Scorecard.objects.filter(period=period)
        .select_related("staff", "branch__parent__parent", "peer_group__parent", "scheme")
        .annotate(under_review=Exists(open_appeal), open_case_stage=Subquery(open_case.values("stage")[:1]))
    )
    if branch_code:
        cards_query = cards_query.filter(branch_path__contains=f"/{branch_code}/")
    if staff_ids is not None:
        cards_query = cards_query.filter(staff_id__in=list(staff_ids))
    cards = list(cards_query)
    ids = [card.staff_id for card in cards]

    first = month_add(period.month, -(TREND_MONTHS - 1))
    history: dict[int, dict[datetime.date, str]] = {}
    if ids:
        rows = Scorecard.objects.filter(
            staff_id__in=ids, period__month__gte=first, period__month__lt=period.month
        ).values_list("staff_id", "period__month", "score")
        for staff_id, month, score in rows:
            history.setdefault(staff_id, {})[month] = fixed(score, 2, empty=None)
    writeups = {
        row["staff_id"]: row
        for row in WriteUp.objects.filter(period=period, scope=WriteUpScope.MONTH, staff_id__in=ids).values(
            "staff_id", "status", "text_zh", "text_en"
        )
    }
    last_day = month_add(period.month, 1) - datetime.timedelta(days=1)
    since = dict(assignments_on(day=last_day).filter(staff_id__in=ids).values_list("staff_id", "position_since"))
    months = [month_add(period.month, offset) for offset in range(-(TREND_MONTHS - 1), 1)]
    schemes: dict[int, SchemeData] = {}

    units: dict[str, Unit] = {}
    for card in cards:
        if card.scheme_id not in schemes:
            schemes[card.scheme_id] = SchemeData.from_dict(card.scheme.parameters)
        scheme = schemes[card.scheme_id]
        unit_branch = _unit_of(card.branch)
        unit = units.get(unit_branch.code)
        if unit is None:
            parent = unit_branch.parent
            unit = units[unit_branch.code] = Unit(
                code=unit_branch.code, name=unit_branch.name, parent_name=parent.name if parent else ""
            )
        past = history.get(card.staff_id, {})
        writeup = writeups.get(card.staff_id)
        unit.pages.append(
            {
                "period": period.label,
                "employee_no": card.staff.employee_no,
                "name": card.staff.name,
                "position": scheme.position,
                "position_since": (since.get(card.staff_id) or card.staff.position_since).isoformat(),
                "branch_code": card.branch.code,
                "branch": _branch_label(card.branch),
                "outlet": card.branch.name,
                "unit_code": unit.code,
                "peer_group": card.peer_group.name,
                "scheme": card.scheme.label,
                "present_days": card.present_days,
                "days_in_month": card.days_in_month,
                "exempt_min": scheme.exempt_min_present,
                "methods": {item.code: item.method for item in scheme.items},
                "items": card.items,
                "praise": card.praise,
                "complaints": card.complaints,
                "major_complaints": card.major_complaints,
                "base": fixed(card.base, 2, empty=None),
                "bonus": fixed(card.bonus, 2, empty=None),
                "deduction": fixed(card.deduction, 2, empty=None),
                "score": fixed(card.score, 2, empty=None),
                "grade": card.grade,
                "veto": card.veto,
                "exempt": card.exempt,
                "probation": card.probation,
                "rank": card.rank,
                "group_size": card.group_size,
                "percentile": fixed(card.percentile, 4, empty=None),
                "rolling": fixed(card.rolling, 2, empty=None),
                "bottom_flag": card.bottom_flag,
                "case_opened": card.case_opened,
                "under_review": card.under_review,
                "open_case_stage": card.open_case_stage,
                "trend": [
                    [f"{month:%Y-%m}", fixed(card.score, 2, empty=None) if month == period.month else past.get(month)]
                    for month in months
                ],
                "writeup": (
                    {"status": writeup["status"], "zh": writeup["text_zh"], "en": writeup["text_en"]}
                    if writeup
                    else None
                ),
            }
        )
    for unit in units.values():
        unit.pages.sort(key=cover_order)
    ordered = sorted(units.values(), key=lambda unit: unit.code)
    return MonthPages(period=period.label, bank_name=bank_name(), units=ordered)


def cover_order(page: dict):
    """Rank first (the exempt last), then employee number, as the export orders (CONTRACT.md §3)."""
    return (page["rank"] is None, page["rank"] or 0, page["employee_no"])


def shows_flag(page: dict, audience: str) -> bool:
    """末位预警 is for the employee's own copy and HR's, never for the branch's."""
    return bool(page["bottom_flag"]) and audience in ("employee", "hr")


def _layout_version() -> str:
    """A hash of everything that shapes a page besides its data: the templates, the chart and
    render code and the translations, so a changed layout or wording renders again."""
    digest = hashlib.sha256(str(LAYOUT_VERSION).encode())
    here = Path(__file__).resolve().parent
    sources = sorted((Path(settings.BASE_DIR) / "templates" / "pdf").rglob("*")) + [
        here / "render.py",
        here / "fonts.py",
        here.parent / "charts.py",
    ]
    for folder in settings.LOCALE_PATHS:
        sources += sorted(Path(folder).glob("*/LC_MESSAGES/django.mo"))
    for path in sources:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_version_cache: dict[str, str] = {}


def layout_version() -> str:
    if "version" not in _version_cache:
        _version_cache["version"] = _layout_version()
    return _version_cache["version"]


def page_fingerprint(page: dict, *, language: str, audience: str, bank_name: str) -> str:
    """What a person's file depends on: their page's data in that language and for that
    audience, the bank's name and the layout. The time of generation is left out on purpose:
    a file is not rendered again only because the clock moved."""
    data = dict(page)
    writeup = page.get("writeup")
    if writeup:
        data["writeup"] = {"status": writeup["status"], "text": writeup["en" if language == "en" else "zh"]}
    data["bottom_flag"] = shows_flag(page, audience)
    payload = json.dumps(
        {"page": data, "language": language, "bank": bank_name, "layout": layout_version()},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def pack_fingerprint(unit: Unit, *, language: str, bank_name: str) -> str:
    parts = [unit.code, unit.name, unit.parent_name, language, bank_name, layout_version()]
    parts += [page_fingerprint(page, language=language, audience="branch", bank_name=bank_name) for page in unit.pages]
    # The cover's 备注 says what the branch copies' pages leave out: flags and cases.
    parts += [json.dumps([page[key] for key in COVER_NOTE_KEYS], default=str) for page in unit.pages]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
