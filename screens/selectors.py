"""Reads for display screens: the screen behind a token, and the honour boards it shows.

Privacy (DESIGN.md, "Who sees what"): a board lists its top entries only. Vetoed and exempt
scorecards are left out of every board (SCORING.md §2 and §4); a board never reaches into the
lower half of the people it ranks, so a small outlet never shows who came last; flags, cases,
complaints and scores of people not shown are never read into the payload.
"""

import datetime
import functools
import hashlib
import heapq
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import ordinal
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisals.models import NameStyle, Period, PeriodStatus, Scheme, Scorecard, Screen
from appraisals.selectors import scheme_current, scheme_data
from core.bulk import server_bound_cursor
from core.months import month_add, month_label, today
from core.numbers import decimal, fixed, rounded
from core.urls import absolute_url
from metrics.selectors import month_to_date_counts
from scoring.scheme import DEFAULT_SCHEME
from staff.models import Branch, Position, Staff
from staff.selectors import bank_name

# Part of every ETag: bump it when the payload or the page's script changes, and every open
# screen receives a new answer, sees the new version and reloads itself.
SCREEN_VERSION = 3

# A screen shows the latest published month (SCORING.md §6): computed is HR's and the heads' alone.
SHOWN_STATUSES = [PeriodStatus.REVIEWED, PeriodStatus.FINALIZED]

# Never more than this share of the people a board ranks: with six lobby managers in a
# sub-branch, a top 10 would otherwise show the last of them too.
SHOWN_SHARE_NUMERATOR, SHOWN_SHARE_DENOMINATOR = 1, 2

# 复姓: a name starting with one of these (and longer than it) keeps both characters as surname.
COMPOUND_SURNAMES = frozenset(
    """
    欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 令狐 司徒 夏侯 宇文 端木 西门 南宫 独孤
    呼延 万俟 闻人 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 轩辕 钟离 赫连 拓跋 百里 东郭 南门
    羊舌 微生 梁丘 左丘 东门 谷梁 第五 公羊 司空 司寇 亓官 仲孙 乐正 漆雕 壤驷 公良 巫马 段干
    鲜于 闾丘 子车 颛孙 公西 夹谷 宰父 呼伦 纳兰 爱新觉罗
    """.split()
)

# Outlet names end in one of these; the boards show the place without it (文三路营业部 → 文三路).
BRANCH_SUFFIXES = ("营业部", "营业室", "分理处", "储蓄所", "支行", "分行", "网点")


@dataclass(frozen=True)
class BoardSpec:
    """One board of the rotation: which scorecard column it ranks and how the value reads."""

    key: str
    title: str
    label: str
    caption: str
    unit: str
    field: str
    places: int
    scale: int = 1

    def value(self, row: dict) -> Decimal | int:
        """The value as shown (rounded half up), which is also what the board ranks by, so two
        people showing the same figure share a position."""
        raw = row[self.field] or 0
        if self.places == 0 and self.scale == 1:
            return int(raw)  # counts
        return rounded(decimal(raw) * self.scale, self.places)


BOARDS = [
    BoardSpec(
        "score",
        gettext_lazy("综合得分榜"),
        gettext_lazy("综合得分"),
        gettext_lazy("月度考核总分"),
        gettext_lazy("分"),
        "score",
        2,
    ),
    BoardSpec(
        "accounts",
        gettext_lazy("开户数榜"),
        gettext_lazy("开户数"),
        gettext_lazy("本月新开账户"),
        gettext_lazy("户"),
        "accounts",
        0,
    ),
    BoardSpec(
        "effective",
        gettext_lazy("有效客户榜"),
        gettext_lazy("有效客户"),
        gettext_lazy("日均资产一万元以上的新客户"),
        gettext_lazy("户"),
        "effective",
        0,
    ),
    BoardSpec(
        "ebanking",
        gettext_lazy("电子银行签约榜"),
        gettext_lazy("电子银行"),
        gettext_lazy("已激活的网银、手机银行等签约"),
        gettext_lazy("户"),
        "ebanking",
        0,
    ),
    BoardSpec(
        "satisfaction",
        gettext_lazy("客户满意度榜"),
        gettext_lazy("满意度"),
        gettext_lazy("客户评价满意率"),
        "%",
        "satisfaction",
        1,
        scale=100,
    ),
    BoardSpec(
        "deposits",
        gettext_lazy("存款日均贡献榜"),
        gettext_lazy("存款日均"),
        gettext_lazy("当月存款日均贡献"),
        gettext_lazy("万元"),
        "deposits",
        2,
    ),
]


def token_hash(token: str) -> str:
    """What is stored instead of a screen's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def screen_url(token: str) -> str:
    """The screen's full address, on SITE_URL."""
    return absolute_url(reverse("screens:page", args=[token]))


def _shown_periods():
    return Period.objects.filter(status__in=SHOWN_STATUSES).order_by("-month")


def screen_by_token(token: str) -> Screen | None:
    """The screen for a token, with its branch; None when the token is unknown or revoked.

    One query on the unique token hash.
    """
    if not token or len(token) > 128:
        return None
    return (
        Screen.objects.select_related("branch")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .order_by()
        .first()
    )


@dataclass(slots=True)
class LiveScreen:
    """What answering a polling screen needs, read in one statement (`screen_live`).

    `data_version` is the latest computation time of any shown month: a month computed or
    recomputed changes it. With the screen's settings it is all the payload cache needs to
    recognise a payload it already built.
    """

    pk: int
    token_hash: str
    branch_id: int
    top_n: int
    rotate_seconds: int
    poll_seconds: int
    show_deposits: bool
    name_style: str
    last_seen_at: datetime.datetime | None
    data_version: str


@functools.cache
def _live_sql(vendor: str, *, revoked_too: bool) -> str:
    """The statement behind `screen_live`, written out once per process.

    A lobby TV asks every 30 seconds all day, so this is the product's hottest query: the
    screen by its unique token hash, and one aggregate over the few rows of the periods table.
    Through the ORM, Python spent several times longer building and reading it than the
    database spent answering it.
    """
    quote = connection.ops.quote_name
    screen, period = Screen._meta, Period._meta

    def column(meta, name):
        return quote(meta.get_field(name).column)

    screen_columns = ", ".join(
        f"s.{column(screen, name)}"
        for name in (
            "id",
            "token_hash",
            "branch",
            "top_n",
            "rotate_seconds",
            "poll_seconds",
            "show_deposits",
            "name_style",
            "last_seen_at",
        )
    )
    return (
        f"SELECT {screen_columns},"
        f" (SELECT MAX(p.{column(period, 'computed_at')}) FROM {quote(period.db_table)} p"
        f" WHERE p.{column(period, 'status')} IN ({', '.join(['%s'] * len(SHOWN_STATUSES))}))"
        f" FROM {quote(screen.db_table)} s"
        f" WHERE s.{column(screen, 'token_hash')} = %s"
        + ("" if revoked_too else f" AND s.{column(screen, 'revoked_at')} IS NULL")
    )


def screen_live(token: str) -> LiveScreen | None:
    """`screen_by_token` for the screen's own requests: one query, no model instances."""
    if not token or len(token) > 128:
        return None
    return _live_by_hash(token_hash(token), revoked_too=False)


def _live_cursor():
    """A cursor for `screen_live`'s statement. On PostgreSQL, one that binds its parameters on
    the server and prepares the statement, so that the server parses and plans it once per
    connection instead of on every poll."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    return server_bound_cursor(prepare=True)


def _live_by_hash(digest: str, *, revoked_too: bool) -> LiveScreen | None:
    with _live_cursor() as cursor:
        cursor.execute(_live_sql(connection.vendor, revoked_too=revoked_too), [*SHOWN_STATUSES, digest])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, digest, branch_id, top_n, rotate, poll, deposits, style, seen, version = row
    if isinstance(seen, str):
        seen = datetime.datetime.fromisoformat(seen)
    if seen is not None and timezone.is_naive(seen):  # SQLite keeps UTC without a zone
        seen = timezone.make_aware(seen, datetime.UTC)
    return LiveScreen(
        pk=pk,
        token_hash=digest,
        branch_id=branch_id,
        top_n=top_n,
        rotate_seconds=rotate,
        poll_seconds=poll,
        show_deposits=bool(deposits),
        name_style=style,
        last_seen_at=seen,
        data_version=str(version),
    )


# -- what a screen shows ------------------------------------------------------------------


def surname_of(name: str) -> str:
    """The family name: two characters for a compound surname (欧阳, 司马 …), else one."""
    name = name.strip()
    for dot in ("·", "•", "・"):
        if dot in name:  # 阿依古丽·买买提: the first part is the name people use
            return name.split(dot, 1)[0]
    if " " in name:
        return name.split()[0]
    for length in (4, 2):
        if len(name) > length and name[:length] in COMPOUND_SURNAMES:
            return name[:length]
    return name[:1]


def display_name(name: str, style: str) -> str:
    """The name as the screen is set to show it: in full, or surname + 经理."""
    name = name.strip()
    if style == NameStyle.SURNAME and name:
        return _("%(surname)s经理") % {"surname": surname_of(name)}
    return name


def short_branch_name(name: str) -> str:
    for suffix in BRANCH_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _board_rows(*, period_id: int, path: str, fields: list[str]) -> list[dict]:
    # Only what a board can show, and never a vetoed or exempt scorecard (SCORING.md §2, §4).
    return list(
        Scorecard.objects.filter(period_id=period_id, branch_path__startswith=path, veto=False, exempt=False)
        .order_by()
        .values("staff_id", "staff__employee_no", "staff__name", "branch__name", "score", *fields)
    )


def board_top(rows: list[dict], spec: BoardSpec, top_n: int) -> list[tuple[int, dict | None, Decimal, int]]:
    """(position, row, value, tied) of the rows of one board, best first.

    Competition positions (1, 2, 2, 4) by the value as shown: people tied on the figure share a
    place and are all shown (listed by total score, then employee number). A board has at most
    `top_n` rows, never reaches beyond the top half of the ranked people, and never honours
    anyone with nothing to show (0 accounts is no honour). When the people tied on a figure would
    overflow the rows, none of them is picked over the others: the last row names nobody and
    says how many share that place (row None, `tied` their number; 0 on a person's row).
    """
    limit = min(top_n, -(-len(rows) * SHOWN_SHARE_NUMERATOR // SHOWN_SHARE_DENOMINATOR))
    if limit <= 0:
        return []
    # Only the best are ever shown: a partial sort, as a head-office screen ranks thousands. One
    # more than the rows tells whether the last figure shown is shared beyond them.
    ranked = heapq.nsmallest(
        limit + 1,
        ((-spec.value(row), -row["score"], row["staff__employee_no"], row) for row in rows),
    )
    overflowing = len(ranked) > limit and ranked[limit][0] == ranked[limit - 1][0]
    shown = []
    position = 0
    for index, (negative, _score, _number, row) in enumerate(ranked[:limit]):
        value = -negative
        if value <= 0:
            break
        if index == 0 or negative != ranked[index - 1][0]:
            position = index + 1
            if overflowing and negative == ranked[limit][0]:
                tied = sum(1 for other in rows if spec.value(other) == value)
                shown.append((position, None, value, tied))
                break
        shown.append((position, row, value, 0))
    return shown


def distinct_names(people: dict[int, tuple[str, str]]) -> dict[int, str]:
    """The name each person shows as, {staff id: name}, from {staff id: (shown name, employee
    number)}: people who would show identically (two 赵经理) get the last digits of their employee
    number, as few as tell them apart ("赵经理·07", "赵经理·12"); nobody else is changed, and no
    full name is revealed."""
    by_name: dict[str, list[int]] = {}
    for staff_id, (name, _number) in people.items():
        by_name.setdefault(name, []).append(staff_id)
    shown = {staff_id: name for staff_id, (name, _number) in people.items()}
    for name, ids in by_name.items():
        if len(ids) < 2:
            continue
        numbers = {staff_id: people[staff_id][1] for staff_id in ids}
        longest = max(len(number) for number in numbers.values())
        digits = longest
        for digits in range(min(2, longest), longest + 1):
            tails = [number[-digits:] for number in numbers.values()]
            if len(set(tails)) == len(tails):
                break
        for staff_id, number in numbers.items():
            shown[staff_id] = f"{name}·{number[-digits:]}"
    return shown


def _movement(staff_id: int, position: int, before: dict[int, int] | None) -> tuple[str | None, bool]:
    if before is None:  # no month before to compare with
        return None, False
    if staff_id not in before:
        return "new", True
    if position < before[staff_id]:
        return "up", False
    if position > before[staff_id]:
        return "down", False
    return "same", False


def screen_boards(screen: Screen) -> dict:
    """What the screen shows, as plain data: the JSON of `/screens/<token>/data.json`.

    The latest shown month, and movement against the calendar month before it when that one
    is shown too: a position on a board against the position on the same board then.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _screen_boards(screen)


def _screen_boards(screen: Screen) -> dict:
    branch = screen.branch
    specs = [spec for spec in BOARDS if spec.key != "deposits" or screen.show_deposits]
    periods = list(_shown_periods()[:2])
    period = periods[0] if periods else None
    previous = periods[1] if len(periods) == 2 else None
    if previous is not None and previous.month != month_add(period.month, -1):
        previous = None
    fields = sorted({spec.field for spec in specs} - {"score"})
    rows = _board_rows(period_id=period.pk, path=branch.path, fields=fields) if period else []
    rows_before = _board_rows(period_id=previous.pk, path=branch.path, fields=fields) if previous else None
    tops = {spec.key: board_top(rows, spec, screen.top_n) for spec in specs}
    # Everyone shown on any board, so a person reads the same on every board.
    names = distinct_names(
        {
            row["staff_id"]: (display_name(row["staff__name"], screen.name_style), row["staff__employee_no"])
            for top in tops.values()
            for _position, row, _value, _tied in top
            if row is not None
        }
    )
    boards = []
    for spec in specs:
        before = None
        if rows_before is not None:
            before = {
                row["staff_id"]: position
                for position, row, _value, _tied in board_top(rows_before, spec, screen.top_n)
                if row is not None
            }
        entries = []
        for position, row, value, tied in tops[spec.key]:
            movement, newcomer = _movement(row["staff_id"], position, before) if row else (None, False)
            entries.append(
                {
                    "position": position,
                    "name": names[row["staff_id"]] if row else _("并列 %(count)d 人") % {"count": tied},
                    "branch": short_branch_name(row["branch__name"]) if row else "",
                    "value": int(value) if spec.places == 0 else float(value),
                    "value_text": fixed(value, spec.places),
                    "unit": str(spec.unit),
                    "movement": movement,
                    "newcomer": newcomer,
                    "tied": tied,
                }
            )
        boards.append(
            {
                "key": spec.key,
                "title": str(spec.title),
                "label": str(spec.label),
                "caption": str(spec.caption),
                "unit": str(spec.unit),
                "entries": entries,
            }
        )
    computed_at = timezone.localtime(period.computed_at) if period and period.computed_at else None
    return {
        "version": SCREEN_VERSION,
        "bank": bank_name(),
        "branch": branch.name,
        "branch_code": branch.code,
        "month": f"{period.month:%Y-%m}" if period else None,
        "month_label": month_label(period.month) if period else "",
        "data_time": computed_at.isoformat(timespec="seconds") if computed_at else None,
        "data_time_label": f"{computed_at:%Y-%m-%d %H:%M}" if computed_at else "",
        "compared_with": f"{previous.month:%Y-%m}" if previous else None,
        "top_n": screen.top_n,
        "rotate_seconds": screen.rotate_seconds,
        "poll_seconds": screen.poll_seconds,
        "boards": boards,
        "month_to_date": month_to_date(branch),
    }


# -- month to date: live counts before the month ends (SCORING.md §6) ---------------------

# What the month-to-date panel counts, as (key, label, unit): counts only — never a score,
# grade, rank or flag, which exist only once the month has ended and been computed.
MONTH_TO_DATE_ITEMS = [
    ("accounts", gettext_lazy("开户数"), gettext_lazy("户")),
    ("effective", gettext_lazy("有效客户"), gettext_lazy("户")),
    ("ebanking", gettext_lazy("电子银行签约"), gettext_lazy("户")),
]
# The panel breaks the totals down by the branches just below the screen's, listed by code
# (never by how well they did), when there are no more of them than this.
MONTH_TO_DATE_BRANCHES = 8


def _effective_threshold():
    try:
        return scheme_data(scheme_current()).effective_threshold
    except Scheme.DoesNotExist:
        return DEFAULT_SCHEME.effective_threshold


def month_to_date(branch: Branch, *, day: datetime.date | None = None) -> dict:
    """The live counts of the month so far for the branch's subtree (本月截至 X 日): its lobby
    managers' accounts, effective customers and e-banking sign-ups as totals, and the same for
    each branch just below it. No person is named and nothing is ranked."""
    day = day or today()
    counts = month_to_date_counts(
        path=branch.path,
        first=day.replace(day=1),
        last=day,
        effective_threshold=_effective_threshold(),
        position=Position.LOBBY_MANAGER,
    )
    keys = [key for key, _label, _unit in MONTH_TO_DATE_ITEMS]
    totals = dict.fromkeys(keys, 0)
    for row in counts.values():
        for key in keys:
            totals[key] += row[key]
    children = list(Branch.objects.filter(parent=branch).order_by("code").values_list("path", "name"))
    by_branch = []
    if 2 <= len(children) <= MONTH_TO_DATE_BRANCHES:
        place = dict(Staff.objects.filter(pk__in=list(counts)).values_list("id", "branch__path"))
        for path, name in children:
            inside = [counts[staff_id] for staff_id, where in place.items() if where.startswith(path)]
            by_branch.append(
                {"branch": short_branch_name(name), "values": [sum(row[key] for row in inside) for key in keys]}
            )
    # "3" in Chinese, "3rd" in English: Month to date, to the 3rd.
    shown_day = ordinal(day.day) if translation.get_language() == "en" else str(day.day)
    return {
        "month": f"{day:%Y-%m}",
        "day": day.day,
        "label": _("本月截至 %(day)s 日") % {"day": shown_day},
        "items": [
            {"key": key, "label": str(label), "unit": str(unit), "value": totals[key]}
            for key, label, unit in MONTH_TO_DATE_ITEMS
        ],
        "branches": by_branch,
    }


# -- the payload, its ETag and a small cache ----------------------------------------------


@dataclass(frozen=True)
class ScreenPayload:
    """The JSON bytes a screen is served and their strong ETag (a hash of those bytes)."""

    etag: str
    body: bytes


# Escaped so the same bytes can sit inside the page's <script> element (as json_script does).
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

# Entries are rebuilt at least this often, so a renamed branch or person shows within a minute;
# the ETag only changes when the bytes do.
PAYLOAD_SECONDS = 60
PAYLOAD_ENTRIES = 512
_payloads: OrderedDict[tuple, tuple[float, ScreenPayload]] = OrderedDict()
_payloads_lock = threading.Lock()


def payload_encode(data: dict) -> ScreenPayload:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_SCRIPT_ESCAPES)
    body = text.encode()
    return ScreenPayload(etag=f'"{hashlib.sha256(body).hexdigest()[:40]}"', body=body)


def _payload_key(live: LiveScreen) -> tuple:
    return (
        SCREEN_VERSION,
        live.token_hash,
        live.branch_id,
        live.top_n,
        live.rotate_seconds,
        live.poll_seconds,
        live.show_deposits,
        live.name_style,
        live.data_version,
        settings.BANK_NAME,
        settings.LANGUAGE_CODE,
        settings.TIME_ZONE,
        today(),  # the month-to-date label says which day it counts to
    )


def screen_payload(screen: Screen | LiveScreen) -> ScreenPayload:
    """The screen's JSON and ETag, built once per month's computation and screen settings.

    Keyed by what `screen_live` already read, so answering a screen whose payload was built
    costs that one query and a dictionary look-up: no scorecard is read.
    """
    live = screen if isinstance(screen, LiveScreen) else _live_by_hash(screen.token_hash, revoked_too=True)
    key = _payload_key(live)
    now = time.monotonic()
    with _payloads_lock:
        cached = _payloads.get(key)
        if cached is not None and now - cached[0] < PAYLOAD_SECONDS:
            _payloads.move_to_end(key)
            return cached[1]
    full = screen if isinstance(screen, Screen) else Screen.objects.select_related("branch").get(pk=live.pk)
    payload = payload_encode(screen_boards(full))
    with _payloads_lock:
        _payloads[key] = (now, payload)
        _payloads.move_to_end(key)
        while len(_payloads) > PAYLOAD_ENTRIES:
            _payloads.popitem(last=False)
    return payload


def screen_payload_cache_clear() -> None:
    with _payloads_lock:
        _payloads.clear()
