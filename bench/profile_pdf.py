"""Where a PDF scorecard's time goes: stages, the charts' share, and a cProfile.

    .venv/bin/python bench/profile_pdf.py [--staff 50] [--rounds 3] [--profile FILE]

Builds bench_pdf's throwaway bank with `--staff` lobby managers (sub-branches of 25), then, in
this one process (CPU seconds, user + sys, per scorecard):

1. the month read (`month_pages`): its queries and CPU;
2. each sub-branch as `run.unit_render` renders it, cut in stages: the HTML (templates and the
   charts' SVG strings), the fonts (the HarfBuzz cut), WeasyPrint's layout, the drawing and
   writing of the pack and every person's file (`render.write_many`);
3. the first sub-branch's document four ways, interleaved `--rounds` times (medians): as it is,
   with the charts' shapes but without their text, with their labels as absolutely placed HTML
   text over the shapes, and without the charts;
4. with `--profile FILE`, a cProfile of `unit_render` over every sub-branch, saved to FILE, the
   top functions printed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import io
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_pdf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="save a cProfile of the rendering to FILE")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lobbystar-profile-pdf-"))
    try:
        bench_pdf.setup_django(folder / "bench.sqlite3")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from appraisals.models import Period, WriteUpScope
        from appraisals.services.writeups import writeups_generate
        from reports.pdf import fonts, render
        from reports.pdf.data import month_pages
        from reports.pdf.run import plan_month, unit_render, worker_warm

        last = datetime.date(2026, 10, 1)
        bench_pdf.build_bank(staff_count=args.staff, months=bench_pdf.month_list(last, bench_pdf.MONTHS))
        period = Period.objects.get(month=last)
        writeups_generate(period=period, scope=WriteUpScope.MONTH)
        worker_warm()

        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            month = month_pages(period=period)
            read = time.process_time() - started
        count = len(month.pages)
        print(f"month read: {count} pages in {len(queries)} queries, {read / count * 1000:.1f} ms CPU per scorecard")

        stages = dict.fromkeys(("html", "fonts", "layout", "drawing and writing"), 0.0)
        for unit in month.units:
            clock = time.process_time()
            html = render.document_html(
                month=month, units=[unit], own_pages=[p for p in unit.pages if p["bottom_flag"]], language="zh-hans"
            )
            stages["html"] += time.process_time() - clock
            clock = time.process_time()
            cut = fonts.document_fonts(html)
            ready = html.replace(render.FACES_PLACEHOLDER, cut.css).replace(render.FAMILY_PLACEHOLDER, cut.family)
            stages["fonts"] += time.process_time() - clock
            clock = time.process_time()
            document = _layout(ready, cut)
            stages["layout"] += time.process_time() - clock
            clock = time.process_time()
            _write(document, unit)
            stages["drawing and writing"] += time.process_time() - clock
            del document
            gc.collect()
        total = sum(stages.values())
        print(f"stages, CPU-s per scorecard ({count} scorecards, packs included): {total / count:.3f}")
        for name, seconds in stages.items():
            print(f"  {name:<20} {seconds / count:.4f}  ({seconds / total:.0%})")

        unit = month.units[0]
        html = render.document_html(month=month, units=[unit], own_pages=[], language="zh-hans")
        variants = {
            "as it is": html,
            "charts without text": re.sub(r"<text [^>]*>[^<]*</text>", "", html),
            "labels as HTML": re.sub(r"<svg .*?</svg>", _labels_as_html, html, flags=re.S),
            "without charts": re.sub(r"<svg .*?</svg>", "", html, flags=re.S),
        }
        timings = {name: [] for name in variants}
        for _round in range(args.rounds):
            for name, text in variants.items():
                clock = time.process_time()
                _write(render.document_from_html(text), unit)
                timings[name].append(time.process_time() - clock)
                gc.collect()
        base = statistics.median(timings["as it is"])
        print(f"the charts, one sub-branch of {len(unit.pages)} (median of {args.rounds}, CPU-s per scorecard):")
        for name, values in timings.items():
            value = statistics.median(values)
            print(f"  {name:<20} {value / len(unit.pages):.4f}  ({value / base - 1:+.0%})")

        if args.profile:
            plan = plan_month(month=month, folder=folder / "out", language="zh-hans", force=True)
            units = {unit.code: unit for unit in month.units}
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for job in plan.jobs:
                unit_render(
                    month=month,
                    unit=units[job.unit_code],
                    job=job,
                    folder=folder / "out",
                    language="zh-hans",
                    generated_at=None,
                )
            profiler.disable()
            profiler.dump_stats(args.profile)
            report = io.StringIO()
            pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(40)
            print(report.getvalue())
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# Where a label's baseline sits below the top of a box of line-height 1, in em: Noto Sans CJK's
# ascent and descent are 1.16 and 0.288 em, so half the leading is (1 - 1.448) / 2.
_BASELINE = 1.16 + (1 - 1.448) / 2
# The rendered width of a chart (its cell or frame in templates/pdf/styles.css) for its units.
_RENDERED = {330: 320.95, 420: 412.72}


def _labels_as_html(found: re.Match) -> str:
    """One chart with its labels taken out of the SVG and laid over it as absolutely placed
    HTML text, at the chart's scale: the lever that would spare WeasyPrint's letter-by-letter
    SVG text."""
    svg = found.group(0)
    width = float(re.search(r'width="([\d.]+)"', svg).group(1))
    scale = _RENDERED.get(round(width), width) / width
    spans = []
    for text in re.finditer(r"<text ([^>]*)>([^<]*)</text>", svg):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', text.group(1)))
        size, x, y = (float(attributes[name]) for name in ("font-size", "x", "y"))
        style = f"left:{x * scale:.2f}px;top:{(y - _BASELINE * size) * scale:.2f}px;font-size:{size * scale:.2f}px"
        style += f";color:{attributes['fill']}" if "fill" in attributes else ""
        style += ";font-weight:700" if attributes.get("font-weight") == "bold" else ""
        spans.append(f'<span style="position:absolute;{style}">{text.group(2)}</span>')
    shapes = re.sub(r"<text [^>]*>[^<]*</text>", "", svg)
    return (
        f'<div style="position:relative">{shapes}'
        f'<div style="position:absolute;left:0;top:0;line-height:1;white-space:nowrap">{"".join(spans)}</div></div>'
    )


def _layout(html: str, cut):
    from weasyprint import HTML

    from reports.pdf import fonts

    return HTML(string=html, url_fetcher=fonts.url_fetcher, base_url="/").render(font_config=cut.font_config)


def _write(document, unit) -> None:
    """The pack and every person's file from one drawing, as `run.unit_render` writes them."""
    from reports.pdf import render

    found = render.sections(document)
    files = {page["employee_no"]: found[render.page_anchor(page, "branch")] for page in unit.pages}
    files["pack"] = list(found[f"cover-{unit.code}"])
    for page in unit.pages:
        files["pack"] += found[render.page_anchor(page, "branch")]
    render.write_many(document, files, last="pack")


if __name__ == "__main__":
    sys.exit(main())
