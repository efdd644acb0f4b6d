"""From plain page data to PDF bytes: views in the reader's language, HTML, WeasyPrint.

A sub-branch is laid out once as one document, and drawn once (`write_many`): its pack and
every person's file are written from that one drawing, so each page costs one layout and one
drawing. Pages are found by the ids of their sections (`Page.anchors`), so a page that runs over to a
second sheet still goes whole into its file.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisals.models import CaseStage
from core.months import month_label, month_parse, month_short_label
from core.numbers import fixed, percent
from reports import charts
from reports.pdf import fonts
from reports.pdf.data import MonthPages, Unit, shows_flag
from reports.scorecards import CHART_LABELS, GRADE_LABELS, item_rows
from staff.models import Position

FAMILY_PLACEHOLDER = "LSFONTFAMILY"
FACES_PLACEHOLDER = "/*LSFONTFACES*/"
AUDIENCES = ("employee", "hr", "branch")
LANGUAGES = ("zh-hans", "en")


def page_view(page: dict, *, audience: str, family: str, generated_at: str) -> dict:
    """Everything `pdf/_page.html` prints, as text in the active language."""
    grade = page["grade"]
    view = {
        "anchor": page_anchor(page, audience),
        "name": page["name"],
        "employee_no": page["employee_no"],
        "position": Position(page["position"]).label if page["position"] in Position.values else page["position"],
        "position_since": page["position_since"],
        "branch": page["branch"],
        "peer_group": page["peer_group"],
        "scheme": page["scheme"],
        "month_title": month_label(month_parse(page["period"])),
        "present": _("%(present)s / %(days)s 天") % {"present": page["present_days"], "days": page["days_in_month"]},
        "rolling": fixed(page["rolling"]),
        "score": fixed(page["score"]),
        "score_note": _("基础分 %(base)s，加分 %(bonus)s，扣分 %(deduction)s")
        % {
            "base": fixed(page["base"]),
            "bonus": fixed(page["bonus"]),
            "deduction": fixed(page["deduction"]),
        },
        "grade": str(GRADE_LABELS[grade]),
        "grade_code": grade,
        "grade_rule": _("≥100 优秀 · ≥85 良好 · ≥60 合格"),
        "veto": page["veto"],
        "veto_text": ngettext(
            "本月有经查属实的重大客户投诉 %(count)s 起，考核等次为不合格，本月不上光荣榜；得分照常计算。",
            "本月有经查属实的重大客户投诉 %(count)s 起，考核等次为不合格，本月不上光荣榜；得分照常计算。",
            page["major_complaints"],
        )
        % {"count": page["major_complaints"]},
        "probation": page["probation"],
        "items": item_rows(page["items"], page["methods"]),
        "base": fixed(page["base"]),
        "bonus": "+" + fixed(page["bonus"]),
        "bonus_note": ngettext("客户表扬 %(count)s 次", "客户表扬 %(count)s 次", page["praise"])
        % {"count": page["praise"]},
        "deduction": ("−" if Decimal(page["deduction"]) else "") + fixed(page["deduction"]),
        "deduction_note": ngettext(
            "经查属实的一般投诉 %(count)s 起", "经查属实的一般投诉 %(count)s 起", page["complaints"]
        )
        % {"count": page["complaints"]},
        "generated_at": generated_at,
    }
    if page["exempt"] or page["rank"] is None:
        view["rank_text"] = ""
        view["no_rank_reason"] = _("出勤 %(present)s 天，不足 %(minimum)s 天（免考核排名）") % {
            "present": page["present_days"],
            "minimum": page["exempt_min"],
        }
    else:
        view["rank_text"] = _("第 %(rank)s 名 / 共 %(size)s 名") % {
            "rank": page["rank"],
            "size": page["group_size"],
        }
        view["percentile_text"] = _("百分位 %(percentile)s（0%% 为组内最好）") % {
            "percentile": percent(page["percentile"], 0)
        }
    if shows_flag(page, audience):
        flag = _(
            "近三月平均分 %(rolling)s，处于考核组末位且低于标准。预警仅为改进提示，"
            "不是解除劳动合同的依据；后续措施由人力资源部与本人面谈后决定。"
        ) % {"rolling": fixed(page["rolling"])}
        if page["case_opened"]:
            flag += _("已连续三个月预警，本月启动改进计划（第一阶段）。")
        view["flag"] = flag
    writeup = page.get("writeup")
    if writeup:
        approved = writeup["status"] == "approved"
        view["writeup"] = {
            "status": "approved" if approved else "draft",
            "stamp": _("已审定") if approved else _("草稿"),
            "text": writeup["en"] if translation.get_language() == "en" else writeup["zh"],
        }
    trend_points = [
        (month_short_label(month_parse(label)), None if score is None else float(score))
        for label, score in page["trend"]
    ]
    view["trend_svg"] = charts.trend_svg(
        trend_points,
        width=330,
        height=140,
        title=_("近12个月总分"),
        font_family=family,
        empty_text=_("暂无数据"),
        value_labels="extremes",
        label_every=2,
    )
    # Each bar is labelled with the very text of the table's completion column (item_rows).
    completion_items = [
        (
            str(CHART_LABELS.get(item["code"], item["code"])),
            float(Decimal(str(item["completion"])) * 100)
            if item.get("assessed") and item.get("completion") is not None
            else None,
            percent(item.get("completion")),
        )
        for item in page["items"]
    ]
    view["completion_svg"] = charts.completion_bars_svg(
        completion_items,
        width=330,
        height=140,
        title=_("各项完成率"),
        font_family=family,
        missing_text=_("不考核"),
        empty_text=_("暂无数据"),
    )
    return view


def cover_view(unit: Unit, *, family: str, generated_at: str, period: str) -> dict:
    pages = unit.pages
    scores = [Decimal(page["score"]) for page in pages]
    counts = {code: sum(1 for page in pages if page["grade"] == code) for code in GRADE_LABELS}
    rows = []
    for page in pages:
        notes = []
        if page["veto"]:
            notes.append(_("一票否决"))
        if page["exempt"]:
            notes.append(_("免考核排名"))
        if page["probation"]:
            notes.append(_("试用期"))
        notes += cover_flag_notes(page)
        rows.append(
            {
                "rank": f"{page['rank']} / {page['group_size']}" if page["rank"] is not None else "—",
                "name": page["name"],
                "employee_no": page["employee_no"],
                "outlet": page["outlet"],
                "score": fixed(page["score"]),
                "grade": str(GRADE_LABELS[page["grade"]]),
                "grade_code": page["grade"],
                "note": "、".join(notes) if translation.get_language() != "en" else ", ".join(notes),
            }
        )
    average = sum(scores, Decimal(0)) / len(scores) if scores else None
    return {
        "anchor": f"cover-{unit.code}",
        "code": unit.code,
        "name": unit.name,
        "parent_name": unit.parent_name,
        "scheme": pages[0]["scheme"] if pages else "",
        "month_title": month_label(month_parse(period)),
        "count": len(pages),
        "average": fixed(average),
        "good_or_better": counts["excellent"] + counts["good"],
        "unranked": sum(1 for page in pages if page["rank"] is None),
        "rows": rows,
        "generated_at": generated_at,
        "grade_svg": charts.grade_distribution_svg(
            counts,
            labels={code: str(label) for code, label in GRADE_LABELS.items()},
            width=420,
            height=170,
            title=_("考核等次分布"),
            font_family=family,
            empty_text=_("暂无数据"),
        ),
    }


def cover_flag_notes(page: dict) -> list[str]:
    """The cover's 备注 on a flag and a case: why the person is flagged (SCORING.md §5: in the
    group's bottom on the three-month average, and under 60 or under 70% of the group's median)
    and whether an improvement case is open, at which stage."""
    notes = []
    if page["bottom_flag"]:
        values = {"rolling": fixed(page["rolling"])}
        if page["rolling"] is not None and Decimal(page["rolling"]) < 60:
            notes.append(_("末位预警：近三月平均 %(rolling)s 分，处于考核组末位且低于 60 分") % values)
        else:
            notes.append(_("末位预警：近三月平均 %(rolling)s 分，处于考核组末位且低于组内中位数的 70%%") % values)
        if page.get("under_review"):
            notes.append(_("申诉复核中"))
    stage = page.get("open_case_stage")
    if page["case_opened"]:
        notes.append(_("本月启动改进程序（第一阶段）"))
    elif stage:
        notes.append(
            _("改进程序进行中：第 %(stage)s 阶段（%(label)s）") % {"stage": stage, "label": CaseStage(stage).label}
        )
    elif page["bottom_flag"]:
        notes.append(_("未启动改进程序"))
    return notes


def page_anchor(page: dict, audience: str) -> str:
    return f"{'branch' if audience == 'branch' else 'own'}-{page['employee_no']}"


def css_string(text: str) -> str:
    """`text` as a quoted CSS string, safe inside a <style> element."""
    special = {'"', "\\", "<", ">", "&"}
    escaped = "".join(f"\\{ord(char):x} " if char in special or ord(char) < 32 else char for char in text)
    return f'"{escaped}"'


def local_time(moment: datetime.datetime | None) -> str:
    moment = moment or timezone.now()
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def document_from_html(html: str):
    """Lays out an HTML string with fonts cut to its characters (FACES_PLACEHOLDER and
    FAMILY_PLACEHOLDER mark where they go)."""
    from weasyprint import HTML

    document_fonts = fonts.document_fonts(html)
    html = html.replace(FACES_PLACEHOLDER, document_fonts.css).replace(FAMILY_PLACEHOLDER, document_fonts.family)
    return HTML(string=html, url_fetcher=fonts.url_fetcher, base_url="/").render(font_config=document_fonts.font_config)


def document(
    *,
    month: MonthPages,
    units: list[Unit],
    own_pages: list[dict],
    language: str,
    generated_at: datetime.datetime | None = None,
    pack_audience: str = "branch",
    own_audience: str = "employee",
):
    """Lays out, in one document: for each of `units` its cover and its pages for
    `pack_audience`, then `own_pages` for `own_audience`. Returns the WeasyPrint document."""
    return document_from_html(
        document_html(
            month=month,
            units=units,
            own_pages=own_pages,
            language=language,
            generated_at=generated_at,
            pack_audience=pack_audience,
            own_audience=own_audience,
        )
    )


def document_html(
    *,
    month: MonthPages,
    units: list[Unit],
    own_pages: list[dict],
    language: str,
    generated_at: datetime.datetime | None = None,
    pack_audience: str = "branch",
    own_audience: str = "employee",
) -> str:
    """The HTML of `document`, with placeholders where the fonts go (FACES_PLACEHOLDER,
    FAMILY_PLACEHOLDER): the fonts are cut to the characters of this very text."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    when = local_time(generated_at)
    schemes = sorted({page["scheme"] for unit in units for page in unit.pages} | {p["scheme"] for p in own_pages})
    with translation.override(language):
        footer = _("生成时间：%(time)s") % {"time": when}
        if schemes:
            footer += " · " + _("考核方案：%(scheme)s") % {"scheme": ", ".join(schemes)}
        context = {
            "language": language,
            "title": f"{month.bank_name} {month_label(month_parse(month.period))}",
            "bank_name": month.bank_name,
            "footer_left": css_string(footer),
            "footer_right": css_string(_("大堂之星 LobbyStar · 本表由系统生成，以人力资源部审定结果为准")),
            "units": [
                {
                    "cover": cover_view(unit, family=FAMILY_PLACEHOLDER, generated_at=when, period=month.period),
                    "pages": [
                        page_view(page, audience=pack_audience, family=FAMILY_PLACEHOLDER, generated_at=when)
                        for page in unit.pages
                    ],
                }
                for unit in units
            ],
            "extra_pages": [
                page_view(page, audience=own_audience, family=FAMILY_PLACEHOLDER, generated_at=when)
                for page in own_pages
            ],
        }
        return render_to_string("pdf/pack.html", context)


def sections(rendered) -> dict[str, list]:
    """The pages of each section (cover or person) of a laid-out document, by section id."""
    starts, seen = [], set()
    for index, page in enumerate(rendered.pages):
        for anchor in page.anchors:
            # A section that runs over has its id on every page it touches: the first counts.
            if anchor.startswith(("cover-", "own-", "branch-")) and anchor not in seen:
                seen.add(anchor)
                starts.append((index, anchor))
    starts.sort()
    found = {}
    for position, (index, anchor) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(rendered.pages)
        found[anchor] = rendered.pages[index : max(end, index + 1)]
    return found


def write(rendered, pages: list) -> bytes:
    """One PDF of some pages of a laid-out document."""
    return rendered.copy(pages).write_pdf()


def write_many(rendered, files: dict[str, list], last: str) -> dict[str, bytes]:
    """Several PDFs from one laid-out document, each page drawn once.

    `Document.copy(pages).write_pdf()` draws its pages and cuts its fonts again for every file,
    so a page that goes both in a person's file and in the pack would be drawn twice. Instead
    the whole document is drawn once into one pydyf PDF; WeasyPrint's `finisher` hook then
    writes each file from it, keeping only that file's pages (the others become empty objects,
    so every reference keeps its number). Every file carries the document's cut of the fonts.
    `last` names the file WeasyPrint itself writes at the end.

    That is only safe while pages hold nothing outside their own content stream: a form,
    pattern or shading (from CSS opacity, gradients, SVG groups) lives in the resources all
    pages share, and would travel into every file. Then each file is written on its own.
    """
    import io

    import pydyf

    position = {id(page): index for index, page in enumerate(rendered.pages)}
    written: dict[str, bytes] = {}

    def finisher(_document, pdf):
        if not shares_nothing(pdf):
            return
        kids = list(pdf.pages["Kids"])
        page_objects = kids[::3]
        content_objects = [int(bytes(pdf.objects[number]["Contents"]).split()[0]) for number in page_objects]
        everything = list(pdf.objects)
        # Named destinations and outlines point at pages a file may not hold.
        pdf.catalog.pop("Names", None)
        pdf.catalog.pop("Outlines", None)

        def keep_only(pages: list) -> None:
            kept = [position[id(page)] for page in pages]
            objects = list(everything)
            for index in set(range(len(page_objects))) - set(kept):
                for number in (page_objects[index], content_objects[index]):
                    blank = pydyf.Dictionary()
                    blank.number = number
                    objects[number] = blank
            pdf.objects = objects
            pdf.pages["Kids"] = pydyf.Array([part for index in kept for part in (page_objects[index], 0, "R")])
            pdf.pages["Count"] = len(kept)
            pdf.current_position = 0
            pdf.xref_position = None

        for name, pages in files.items():
            if name == last:
                continue
            keep_only(pages)
            buffer = io.BytesIO()
            pdf.write(buffer, b"1.7", False, True)
            written[name] = buffer.getvalue()
        keep_only(files[last])

    written[last] = rendered.write_pdf(finisher=finisher)
    if len(written) < len(files):
        written.update({name: write(rendered, pages) for name, pages in files.items() if name not in written})
    return written


def shares_nothing(pdf) -> bool:
    """Whether the pages of a drawn document keep all they show in their own content streams:
    no forms, patterns or shadings in the resources they share (see `write_many`)."""
    for number in pdf.pages["Kids"][::3]:
        resources = pdf.objects[number]["Resources"]
        shared = pdf.objects[int(bytes(resources).split()[0])] if isinstance(resources, bytes) else resources
        for kind in ("XObject", "Pattern", "Shading"):
            if shared.get(kind):
                return False
    return True
