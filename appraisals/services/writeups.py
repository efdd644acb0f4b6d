"""Appraisal write-ups (考核评语): drafts that say only what the figures say.

Two halves. `writeup_text(facts)` is pure: a plain dict of figures in, a Chinese and an
English paragraph out, the same every time. The services gather those figures from the
scorecards (and, through `metrics.selectors.record_totals`, from the records) and keep the draft beside
the text HR edits and approves, with history.

What a sentence may claim, and on what figure (docs/writeups.md tells HR the same):

- tenure and branch: the position held on the last day of the span (任职日期, 机构);
- work: accounts opened, effective customers, deposits won (the plain sum, 万元), e-banking
  sign-ups, summed over the scorecards in scope, rounded the way appraisals round
  (`approximate`): 4321 → 4300余, 73 → 70余, 8 → 8;
- service: praise counted on the scorecards; the share of good ratings only when there were at
  least `MIN_RATINGS` ratings and at least `WARM_RATE` of them were good; the warm phrase only
  with one of those two;
- complaints: "no upheld complaint" only when neither the scorecards nor the records of the
  span hold one; otherwise the upheld complaints are stated with their deduction or veto;
- result: score, grade, and rank as 第r名（共n名）, or why there is no rank;
- what to work on: the assessed items below their bar (`SHORTFALL_BAR`), the weakest three.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals.models import Period, Scorecard, WriteUp, WriteUpScope, WriteUpStatus
from audit.models import Change
from audit.services import change_record
from core.errors import LobbyStarError
from core.numbers import fixed, percent
from metrics.selectors import record_totals
from scoring import Scheme as SchemeData
from staff.models import Level, Position
from staff.selectors import assignments_on

FACTS_VERSION = 1
MIN_RATINGS = 10  # fewer ratings than this prove nothing about service
WARM_RATE = Decimal("0.95")  # share of good ratings that supports the warm phrase
# Below these completions an item is something to work on: a ratio item below its target;
# the satisfaction band below 0.75 (a smoothed rate under 95%); an inspection score under 80.
SHORTFALL_BAR = {"ratio": Decimal("1"), "band": Decimal("0.75"), "score": Decimal("0.80")}
MAX_SHORTFALLS = 3  # the weakest three: an appraisal names priorities, not a list of everything

GRADE_ZH = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}
GRADE_EN = {"excellent": "Excellent", "good": "Good", "pass": "Pass", "fail": "Fail"}
GRADE_ORDER = ("excellent", "good", "pass", "fail")
MONTHS_EN = [calendar.month_name[number] for number in range(13)]

ITEM_ZH = {
    "accounts": "开户数",
    "effective": "有效客户",
    "ebanking": "电子银行签约",
    "deposits": "存款日均",
    "satisfaction": "客户满意度",
    "mystery": "神秘人暗访得分",
}
ITEM_EN = {
    "accounts": "accounts opened",
    "effective": "effective customers",
    "ebanking": "e-banking sign-ups",
    "deposits": "daily-average deposits",
    "satisfaction": "customer satisfaction",
    "mystery": "the mystery-shopper score",
}
ADVICE_ZH = {
    "accounts": "加大新客户营销力度",
    "effective": "注重提升新开账户的资产质量",
    "ebanking": "加强网上银行、手机银行等电子银行产品的交叉销售",
    "deposits": "加强存款营销与客户维护",
    "satisfaction": "进一步提升服务质量",
    "mystery": "严格执行服务规范",
}
ADVICE_EN = {
    "accounts": "win more new customers",
    "effective": "raise the assets held in the accounts opened",
    "ebanking": "cross-sell online and mobile banking more consistently",
    "deposits": "strengthen deposit marketing and customer follow-up",
    "satisfaction": "raise the quality of service",
    "mystery": "follow the service standards more closely",
}


class WriteUpError(LobbyStarError):
    """A write-up cannot do what was asked; the message says why, for a person to read."""


# --- the pure half -----------------------------------------------------------------------------


def approximate(value) -> tuple[Decimal, bool]:
    """Rounds a figure the way an appraisal does: down to a round number, and says whether
    there was more ("余"). Below 10 the figure stands as it is; from 10 to 99 it goes down to
    the tens (73 → 70, more); from 100 to the leading two significant digits (4321 → 4300,
    more; 120 → 120, exact)."""
    number = Decimal(str(value))
    if number < 10:
        return number.quantize(Decimal("0.01"), ROUND_HALF_UP).normalize(), False
    digits = len(str(int(number)))
    unit = Decimal(10) ** max(1, digits - 2)
    floor = (number / unit).to_integral_value(ROUND_DOWN) * unit
    return floor, number > floor


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def rounded_zh(value) -> str:
    """4321 → "4300余", 120 → "120", 8.5 → "8.5"."""
    floor, more = approximate(value)
    return f"{_plain(floor)}余" if more else _plain(floor)


def rounded_en(value) -> str:
    """4321 → "more than 4,300", 120 → "120"."""
    floor, more = approximate(value)
    text = f"{int(floor):,}" if floor == floor.to_integral() else _plain(floor)
    return f"more than {text}" if more else text


def yuan_en(wan) -> str:
    """An amount in 万元 in English yuan, rounded as `approximate` rounds: 4321 → "more than
    RMB 43 million"; 45 → "more than RMB 400,000"."""
    floor, more = approximate(wan)
    yuan = floor * 10000
    if yuan >= 1_000_000:
        text = f"RMB {_plain(yuan / 1_000_000)} million"
    else:
        text = f"RMB {int(yuan):,}"
    return f"more than {text}" if more else text


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _times_en(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _join_en(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


def _span_zh(facts: dict) -> str:
    year, first, last = facts["year"], facts["first_month"], facts["month"]
    return f"{year}年{last}月" if first == last else f"{year}年{first}—{last}月"


def _span_en(facts: dict) -> str:
    year, first, last = facts["year"], facts["first_month"], facts["month"]
    if first == last:
        return f"{MONTHS_EN[last]} {year}"
    return f"{MONTHS_EN[first]}–{MONTHS_EN[last]} {year}"


def service_supported(facts: dict) -> tuple[bool, bool]:
    """(ratings support it, anything supports it): the warm phrase needs one of praise or
    at least MIN_RATINGS ratings of which at least WARM_RATE were good."""
    ratings, good = int(facts.get("ratings", 0)), int(facts.get("ratings_good", 0))
    by_ratings = ratings >= MIN_RATINGS and Decimal(good) >= WARM_RATE * ratings
    return by_ratings, by_ratings or int(facts.get("praise", 0)) > 0


def no_upheld_complaints(facts: dict) -> bool:
    """Only when neither the scorecards nor the records of the span hold an upheld complaint."""
    return (
        int(facts.get("complaints", 0)) == 0
        and int(facts.get("major_complaints", 0)) == 0
        and int(facts.get("complaints_recorded", 0)) == 0
    )


def writeup_text(facts: dict) -> tuple[str, str]:
    """The Chinese and the English paragraph for `facts` (see `writeup_facts` for its keys).

    Pure and deterministic. Every sentence cites a figure of `facts`; a sentence whose figure
    is missing or zero is left out rather than softened.
    """
    zh, en = [], []
    name = facts["name"]
    year_scope = facts["scope"] == WriteUpScope.YEAR
    span_zh, span_en = _span_zh(facts), _span_en(facts)
    when_zh = "期间" if year_scope else "当月"
    when_en = "Over the period" if year_scope else "That month"

    # Tenure and branch (任职日期, 机构).
    since = facts.get("position_since")
    if since:
        since_date = datetime.date.fromisoformat(since)
        zh.append(f"{name}同志自{since_date.year}年{since_date.month}月起担任大堂经理，现任职于{facts['branch']}。")
        en.append(
            f"{name} has served as a lobby manager since {MONTHS_EN[since_date.month]} {since_date.year} "
            f"and works at {facts['branch']}."
        )
    else:
        zh.append(f"{name}同志现任职于{facts['branch']}，担任大堂经理。")
        en.append(f"{name} works as a lobby manager at {facts['branch']}.")

    # Work.
    accounts, effective, ebanking = int(facts["accounts"]), int(facts["effective"]), int(facts["ebanking"])
    deposits = Decimal(str(facts["deposits"]))
    threshold = Decimal(str(facts.get("effective_threshold", "10000")))
    work_zh, work_en = [], []
    if accounts:
        clause_zh = f"开立各类账户{rounded_zh(accounts)}户"
        clause_en = f"opened {rounded_en(accounts)} accounts"
        if effective:
            clause_zh += f"，其中日均资产在{_plain(threshold / 10000)}万元以上的有效客户{rounded_zh(effective)}户"
            clause_en += (
                f", {rounded_en(effective)} of them effective customers with a daily-average balance "
                f"of RMB {int(threshold):,} or more"
            )
        work_zh.append(clause_zh)
        work_en.append(clause_en)
    if deposits > 0:
        work_zh.append(f"成功营销各类存款累计{rounded_zh(deposits)}万元")
        work_en.append(f"won deposits totalling {yuan_en(deposits)}")
    if ebanking:
        work_zh.append(f"通过交叉销售开通网上银行、手机银行等电子银行产品{rounded_zh(ebanking)}户")
        work_en.append(
            f"signed up {rounded_en(ebanking)} customers for e-banking such as online and mobile banking "
            "through cross-selling"
        )
    if work_zh:
        zh.append(f"{span_zh}，该同志" + "；".join(work_zh) + "。")
        en.append(f"In {span_en}, {name} " + _join_en(work_en) + ".")
    else:
        zh.append(f"{span_zh}，该同志未录得开户、存款和电子银行业绩。")
        en.append(f"In {span_en}, no accounts, deposits or e-banking sign-ups were recorded for {name}.")

    # Service: figures first, the warm phrase only on their strength.
    by_ratings, warm = service_supported(facts)
    praise = int(facts.get("praise", 0))
    if warm:
        said_zh, said_en = [], []
        if praise:
            said_zh.append(f"收到客户表扬{praise}次")
            said_en.append(f"{name} received {_times_en(praise, 'commendation')} from customers")
        if by_ratings:
            rate = Decimal(int(facts["ratings_good"])) / int(facts["ratings"])
            said_zh.append(f"客户评价好评率{percent(rate)}（共{int(facts['ratings'])}次评价）")
            said_en.append(f"{percent(rate)} of {int(facts['ratings'])} customer ratings were good")
        zh.append(when_zh + "，".join(said_zh) + "，服务热情周到，得到客户好评。")
        en.append(f"{when_en}, " + " and ".join(said_en) + ", evidence of warm and attentive service.")

    # Complaints: the zero sentence only when there were none at all in scope.
    complaints, major = int(facts.get("complaints", 0)), int(facts.get("major_complaints", 0))
    deduction = Decimal(str(facts.get("deduction", "0")))
    if no_upheld_complaints(facts):
        zh.append(f"{span_zh if year_scope else when_zh}未发生经查属实的客户投诉。")
        en.append(f"No upheld customer complaint was recorded in {span_en}.")
    elif complaints or major:
        zh.append(_complaints_zh(complaints, major, deduction, when=when_zh))
        en.append(_complaints_en(complaints, major, deduction, when=when_en))

    # Result: score, grade, rank or why there is none.
    zh_result, en_result = _result_sentences(facts, name=name, span_zh=span_zh, span_en=span_en)
    zh.append(zh_result)
    en.append(en_result)

    # What to work on.
    shortfalls = facts.get("shortfalls") or []
    if shortfalls:
        parts_zh, parts_en = [], []
        for shortfall in shortfalls:
            code = shortfall["item"]
            label_zh, label_en = ITEM_ZH.get(code, code), ITEM_EN.get(code, code)
            advice_zh = ADVICE_ZH.get(code, "加强该项工作")
            advice_en = ADVICE_EN.get(code, "work on this item")
            if shortfall["method"] == "ratio":
                shown = percent(shortfall["completion"])  # as the scorecard's table and PDF show it
                parts_zh.append(f"{label_zh}完成目标的{shown}，需{advice_zh}")
                parts_en.append(f"{label_en} reached {shown} of target — {advice_en}")
            elif shortfall["method"] == "band":
                shown = percent(shortfall["actual"])
                parts_zh.append(f"{label_zh}为{shown}，需{advice_zh}")
                parts_en.append(f"{label_en} was {shown} — {advice_en}")
            else:
                shown = fixed(shortfall["actual"])
                parts_zh.append(f"{label_zh}为{shown}分，需{advice_zh}")
                parts_en.append(f"{label_en} was {shown} — {advice_en}")
        zh.append("今后应重点改进：" + "；".join(parts_zh) + "。")
        en.append("To improve: " + "; ".join(parts_en) + ".")
    elif facts.get("assessed_items"):
        zh.append("各项考核指标均已达标，希望继续保持。")
        en.append("Every assessed item met its mark; keep it up.")
    return "".join(zh), " ".join(en)


def _complaints_zh(complaints: int, major: int, deduction: Decimal, *, when: str) -> str:
    total = complaints + major
    sentence = f"{when}有经查属实的客户投诉{total}起"
    if major:
        sentence += f"，其中重大投诉{major}起" if complaints else "，属重大投诉"
    consequences = []
    if complaints and deduction > 0:
        consequences.append(f"扣{_plain(deduction)}分")
    if major:
        consequences.append("实行一票否决")
    if consequences:
        sentence += "；按规定" + "，并".join(consequences)
    return sentence + "。"


def _complaints_en(complaints: int, major: int, deduction: Decimal, *, when: str) -> str:
    total = complaints + major
    verb = "was" if total == 1 else "were"
    if not complaints:
        return f"{when}, {_times_en(major, 'major customer complaint')} {verb} upheld, which carries a veto (一票否决)."
    sentence = f"{when}, {_times_en(total, 'customer complaint')} {verb} upheld"
    if major:
        sentence += f", {major} of them major"
    consequences = []
    if deduction > 0:
        consequences.append(f"{_plain(deduction)} points were deducted")
    if major:
        consequences.append("the major complaint carries a veto (一票否决)")
    if consequences:
        sentence += "; " + " and ".join(consequences)
    return sentence + "."


def _result_sentences(facts: dict, *, name: str, span_zh: str, span_en: str) -> tuple[str, str]:
    grade = facts["grade"]
    grade_zh, grade_en = GRADE_ZH[grade], GRADE_EN[grade]
    if facts.get("veto"):
        grade_zh += "（一票否决）"
        grade_en += " (veto)"
    month = facts["month"]
    peer_group = facts["peer_group"]
    if facts.get("exempt"):
        rank_zh = f"出勤{facts['present_days']}天，不足{facts['exempt_min']}天，按规定不参与排名"
        rank_en = f"with {facts['present_days']} days present, fewer than {facts['exempt_min']}, {name} is not ranked"
    else:
        rank_zh = f"在{peer_group}大堂经理中排第{facts['rank']}名（共{facts['group_size']}名）"
        rank_en = f"ranking {_ordinal(int(facts['rank']))} of {facts['group_size']} lobby managers in {peer_group}"
    score = facts["score"]
    if facts["scope"] != WriteUpScope.YEAR:
        if facts.get("exempt"):
            return (
                f"当月{rank_zh}；考核得分{score}分，考核等次为{grade_zh}。",
                f"That month, {rank_en}; the score is {score}, graded {grade_en}.",
            )
        return (
            f"当月考核得分{score}分，考核等次为{grade_zh}，{rank_zh}。",
            f"The month's score is {score}, graded {grade_en}, {rank_en}.",
        )
    grades = facts.get("grades") or {}
    counted_zh = "、".join(f"{GRADE_ZH[code]}{grades[code]}个月" for code in GRADE_ORDER if grades.get(code))
    counted_en = ", ".join(
        f"{_times_en(grades[code], 'month')} {GRADE_EN[code]}" for code in GRADE_ORDER if grades.get(code)
    )
    months = int(facts["months"])
    last_en = MONTHS_EN[month]
    joint_zh, joint_en = ("；", "; ") if facts.get("exempt") else ("，", ", ")
    return (
        f"{span_zh}共{months}个月参加考核，月均得分{score}分，其中{counted_zh}；"
        f"{month}月考核等次为{grade_zh}{joint_zh}{rank_zh}。",
        f"{name} was appraised in {_times_en(months, 'month')} of {span_en}, with an average monthly "
        f"score of {score} ({counted_en}); in {last_en} the grade is {grade_en}{joint_en}{rank_en}.",
    )


# --- gathering the facts -----------------------------------------------------------------------


def _branch_label(branch) -> str:
    """An outlet reads with its sub-branch in front (西湖支行文三路营业部), as appraisals write it."""
    parent = branch.parent
    if branch.level == Level.OUTLET and parent is not None and not branch.name.startswith(parent.name):
        return f"{parent.name}{branch.name}"
    return branch.name


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def _cents(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _shortfalls(cards: list[Scorecard], scheme: SchemeData) -> tuple[list[dict], int]:
    """Items below their bar, weakest first, from the mean completion over the cards where the
    item was assessed; and how many items were assessed at all."""
    methods = {item.code: item.method for item in scheme.items}
    completions: dict[str, list[Decimal]] = {}
    actuals: dict[str, list[Decimal]] = {}
    for card in cards:
        for item in card.items:
            if not item.get("assessed") or item.get("completion") is None:
                continue
            completions.setdefault(item["code"], []).append(Decimal(str(item["completion"])))
            if item.get("actual") is not None:
                actuals.setdefault(item["code"], []).append(Decimal(str(item["actual"])))
    found = []
    for code, values in completions.items():
        method = methods.get(code, "ratio")
        mean = sum(values, Decimal(0)) / len(values)
        if mean < SHORTFALL_BAR.get(method, Decimal("1")):
            actual_values = actuals.get(code) or [Decimal(0)]
            found.append(
                {
                    "item": code,
                    "method": method,
                    "completion": str(mean.quantize(Decimal("0.0001"), ROUND_HALF_UP)),
                    "actual": str(
                        (sum(actual_values, Decimal(0)) / len(actual_values)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
                    ),
                }
            )
    found.sort(key=lambda entry: (Decimal(entry["completion"]), entry["item"]))
    return found[:MAX_SHORTFALLS], len(completions)


def writeups_facts(*, period: Period, scope: str, staff_ids=None) -> dict[int, dict]:
    """The facts of every write-up of `period` and `scope` (or only of `staff_ids`), read in a
    few queries whatever the number of people: the scorecards of the span, the positions held
    on its last day, and the totals of the records of the span."""
    if scope not in WriteUpScope.values:
        raise WriteUpError(_("评语范围只能是 month 或 year。"))
    month = period.month
    first_month = month.replace(month=1) if scope == WriteUpScope.YEAR else month
    last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    present = Scorecard.objects.filter(period=period)
    if staff_ids is not None:
        present = present.filter(staff_id__in=list(staff_ids))
    ids = list(present.values_list("staff_id", flat=True))
    cards_by_staff: dict[int, list[Scorecard]] = {}
    span_cards = (
        Scorecard.objects.filter(staff_id__in=ids, period__month__gte=first_month, period__month__lte=month)
        .select_related("staff", "branch", "branch__parent", "peer_group", "period", "scheme")
        .order_by("staff_id", "period__month")
    )
    for card in span_cards:
        cards_by_staff.setdefault(card.staff_id, []).append(card)
    since = dict(assignments_on(day=last_day).filter(staff_id__in=ids).values_list("staff_id", "position_since"))
    schemes: dict[int, SchemeData] = {}
    threshold = Decimal("10000")
    for cards in cards_by_staff.values():
        scheme = cards[-1].scheme
        if scheme.pk not in schemes:
            schemes[scheme.pk] = SchemeData.from_dict(scheme.parameters)
        threshold = schemes[scheme.pk].effective_threshold
    totals = record_totals(staff_ids=ids, first=first_month, last=last_day, effective_threshold=threshold)

    facts = {}
    for staff_id, cards in cards_by_staff.items():
        card = cards[-1]  # the chosen month's
        scheme = schemes[card.scheme_id]
        records = totals[staff_id]
        shortfalls, assessed = _shortfalls(cards, scheme)
        entry = {
            "version": FACTS_VERSION,
            "scope": scope,
            "year": month.year,
            "month": month.month,
            "first_month": first_month.month,
            "months": len(cards),
            "name": card.staff.name,
            "employee_no": card.staff.employee_no,
            "position": Position.LOBBY_MANAGER.value,
            "position_since": since[staff_id].isoformat() if since.get(staff_id) else None,
            "branch": _branch_label(card.branch),
            "peer_group": card.peer_group.name,
            "accounts": sum(c.accounts for c in cards),
            "effective": sum(c.effective for c in cards),
            "ebanking": sum(c.ebanking for c in cards),
            "deposits": _money(sum((c.deposits_total for c in cards), Decimal(0))),
            "effective_threshold": str(scheme.effective_threshold),
            "praise": sum(c.praise for c in cards),
            "ratings": records["ratings"],
            "ratings_good": records["ratings_good"],
            "complaints": sum(c.complaints for c in cards),
            "major_complaints": sum(c.major_complaints for c in cards),
            "complaints_recorded": records["complaints"] + records["major_complaints"],
            "deduction": _cents(sum((c.deduction for c in cards), Decimal(0))),
            "grade": card.grade,
            "veto": card.veto,
            "exempt": card.exempt,
            "present_days": card.present_days,
            "exempt_min": scheme.exempt_min_present,
            "rank": card.rank,
            "group_size": card.group_size,
            "assessed_items": assessed,
            "shortfalls": shortfalls,
        }
        if scope == WriteUpScope.YEAR:
            entry["score"] = _cents(sum((c.score for c in cards), Decimal(0)) / len(cards))
            entry["grades"] = {code: sum(1 for c in cards if c.grade == code) for code in GRADE_ORDER}
        else:
            entry["score"] = _cents(card.score)
        facts[staff_id] = entry
    return facts


def writeup_facts(*, staff, period: Period, scope: str) -> dict:
    facts = writeups_facts(period=period, scope=scope, staff_ids=[staff.pk])
    if staff.pk not in facts:
        raise WriteUpError(
            _("%(name)s 在 %(month)s 没有考核结果，无法生成评语。") % {"name": staff.name, "month": period.label}
        )
    return facts[staff.pk]


# --- storing, editing, approving ---------------------------------------------------------------


@dataclass
class GenerateSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_edits: int = 0


def _is_edited(writeup: WriteUp) -> bool:
    return writeup.text_zh != writeup.draft_zh or writeup.text_en != writeup.draft_en


def _store(*, staff_id: int, period: Period, scope: str, facts: dict, user, summary: GenerateSummary) -> WriteUp:
    draft_zh, draft_en = writeup_text(facts)
    now = timezone.now()
    writeup = WriteUp.objects.select_for_update().filter(staff_id=staff_id, period=period, scope=scope).first()
    if writeup is None:
        writeup = WriteUp.objects.create(
            staff_id=staff_id,
            period=period,
            scope=scope,
            draft_zh=draft_zh,
            draft_en=draft_en,
            text_zh=draft_zh,
            text_en=draft_en,
            facts=facts,
            generated_at=now,
        )
        change_record(
            obj=writeup,
            action=Change.Action.CREATE,
            user=user,
            source="writeup generate",
            fields={"status": [None, WriteUpStatus.DRAFT]},
        )
        summary.created += 1
        return writeup
    before = {name: getattr(writeup, name) for name in ("draft_zh", "draft_en", "text_zh", "text_en", "status")}
    edited = _is_edited(writeup)
    writeup.draft_zh, writeup.draft_en = draft_zh, draft_en
    if not edited:
        # HR had not touched the text: it follows the new draft. An approval was of the old
        # words, so new words go back to draft.
        writeup.text_zh, writeup.text_en = draft_zh, draft_en
        if (draft_zh, draft_en) != (before["text_zh"], before["text_en"]):
            writeup.status = WriteUpStatus.DRAFT
            writeup.approved_by, writeup.approved_at = None, None
    fields = {name: [old, getattr(writeup, name)] for name, old in before.items() if getattr(writeup, name) != old}
    writeup.facts = facts
    writeup.generated_at = now
    writeup.save()
    if fields:
        change_record(obj=writeup, action=Change.Action.UPDATE, user=user, source="writeup generate", fields=fields)
        summary.updated += 1
    else:
        summary.unchanged += 1
    if edited:
        summary.kept_edits += 1
    return writeup


@transaction.atomic
def writeup_generate(*, staff, period: Period, scope: str = WriteUpScope.MONTH, user=None) -> WriteUp:
    """Drafts (or redrafts) one write-up from the scorecards and records. A text HR has edited
    is kept; only the draft beside it changes."""
    facts = writeup_facts(staff=staff, period=period, scope=scope)
    return _store(staff_id=staff.pk, period=period, scope=scope, facts=facts, user=user, summary=GenerateSummary())


@transaction.atomic
def writeups_generate(*, period: Period, scope: str = WriteUpScope.MONTH, user=None) -> GenerateSummary:
    """`writeup_generate` for every scorecard of the month, with the facts read in bulk."""
    summary = GenerateSummary()
    for staff_id, facts in sorted(writeups_facts(period=period, scope=scope).items()):
        _store(staff_id=staff_id, period=period, scope=scope, facts=facts, user=user, summary=summary)
    return summary


@transaction.atomic
def writeup_edit(*, writeup: WriteUp, text_zh: str, text_en: str, user, reason: str = "") -> WriteUp:
    """HR's own words. Editing an approved write-up returns it to draft: the approval was of
    other words."""
    text_zh, text_en = (text_zh or "").strip(), (text_en or "").strip()
    if not text_zh or not text_en:
        raise WriteUpError(_("评语的中文和英文都不能为空。"))
    if (text_zh, text_en) == (writeup.text_zh, writeup.text_en):
        return writeup
    fields = {
        name: [old, new]
        for name, old, new in (
            ("text_zh", writeup.text_zh, text_zh),
            ("text_en", writeup.text_en, text_en),
            ("status", writeup.status, WriteUpStatus.DRAFT),
        )
        if old != new
    }
    updated = WriteUp.objects.filter(
        pk=writeup.pk, status=writeup.status, text_zh=writeup.text_zh, text_en=writeup.text_en
    ).update(
        text_zh=text_zh,
        text_en=text_en,
        status=WriteUpStatus.DRAFT,
        edited_by=user,
        edited_at=timezone.now(),
        approved_by=None,
        approved_at=None,
    )
    if updated != 1:
        raise WriteUpError(_("该评语刚被他人修改，请刷新后重试。"))
    change_record(
        obj=writeup,
        action=Change.Action.UPDATE,
        user=user,
        reason=reason,
        source="writeup edit",
        fields=fields,
    )
    writeup.refresh_from_db()
    return writeup


@transaction.atomic
def writeup_approve(*, writeup: WriteUp, user) -> WriteUp:
    """draft → approved, only if nobody approved or changed it first."""
    updated = WriteUp.objects.filter(pk=writeup.pk, status=WriteUpStatus.DRAFT).update(
        status=WriteUpStatus.APPROVED, approved_by=user, approved_at=timezone.now()
    )
    if updated != 1:
        raise WriteUpError(_("该评语已审定或刚被他人修改，请刷新后重试。"))
    change_record(
        obj=writeup,
        action=Change.Action.TRANSITION,
        user=user,
        source="writeup approve",
        fields={"status": [WriteUpStatus.DRAFT, WriteUpStatus.APPROVED]},
    )
    writeup.refresh_from_db()
    return writeup


def writeups_approve(*, writeups, user) -> tuple[list[WriteUp], list[WriteUp]]:
    """Approves each of `writeups` that is still a draft, one at a time, so that each approval
    has its own line in the history; returns (approved, refused): the refused were approved
    already or changed under the user's feet."""
    approved, refused = [], []
    with transaction.atomic():
        for writeup in writeups:
            try:
                approved.append(writeup_approve(writeup=writeup, user=user))
            except WriteUpError:
                refused.append(writeup)
    return approved, refused
