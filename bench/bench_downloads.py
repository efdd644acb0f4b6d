"""Benchmark: a list download for people (reports.downloads), the writer alone — 20,000
scorecard rows of the people's 36 columns (reports.lists.scorecard_columns) as XLSX and CSV.

    .venv/bin/python bench/bench_downloads.py [--rows 20000]

Prints, per format: wall and CPU (user+sys) seconds, rows a second, the file's size, and how
much the process's peak memory (max RSS) grew while writing, which stays flat whatever the
number of rows: the CSV is a stream of lines, the XLSX a stream of rows into its zip entry
(reports.xlsx), written to a temporary file.
"""

import argparse
import datetime
import os
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")


def rows(count: int):
    for number in range(count):
        yield {
            "period": datetime.date(2026, 10, 1),
            "staff__employee_no": f"{number:06d}",
            "staff__name": "张丽",
            "staff__branch__code": f"0{110100 + number % 300}",
            "staff__branch__name": "西湖支行文三路营业部",
            "peer_group__name": "杭州分行",
            "accounts": 24, "effective": 10, "ebanking": 18,
            "deposits": Decimal("133.1556"), "satisfaction": Decimal("0.9889"), "mystery": Decimal("84.70"),
            "praise": 1, "complaints": 0, "major_complaints": 0,
            **{f"points_{code}": Decimal("14.25") for code in
               ("accounts", "effective", "ebanking", "deposits", "satisfaction", "mystery")},
            "base": Decimal("98.50"), "bonus": Decimal("1.00"), "deduction": Decimal("0.00"),
            "score": Decimal("99.50"), "grade": "good", "veto": False, "exempt": False, "probation": False,
            "rank": number % 300 + 1, "group_size": 300, "percentile": Decimal("0.4321"),
            "rolling": Decimal("97.12"), "bottom_flag": False, "under_review": False, "case_opened": False,
        }  # fmt: skip


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    count = parser.parse_args().rows

    import django

    django.setup()
    from django.utils import translation

    from reports import downloads, lists
    from reports.downloads import Download

    translation.activate("zh-hans")
    columns = lists.scorecard_columns(under_review=True)
    print(f"rows: {count:,} × {len(columns)} columns; load: {os.getloadavg()[0]:.2f}")
    from reports.exports import TabularExport

    class Machine(TabularExport):
        """Before: what the console's scorecard download was, the §3 machine writer (all text in)."""

        def header(self):
            return [column.key for column in columns]

        def rows(self):
            for row in rows(count):
                yield [str(row.get(column.key, "")) for column in columns]

    for format in ("csv", "xlsx"):
        before, wall, cpu = maxrss_mb(), time.perf_counter(), time.process_time()
        size = len(Machine().render(format)[2])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"before (machine writer) {format}: wall {wall:.2f} s, cpu {cpu:.2f} s, {size / 1e6:.1f} MB, "
            f"peak memory +{maxrss_mb() - before:.1f} MB"
        )
    for format in ("csv", "xlsx"):
        download = Download("考核表", columns, rows(count))
        before, wall, cpu = maxrss_mb(), time.perf_counter(), time.process_time()
        if format == "csv":
            size = sum(len(chunk) for chunk in downloads.csv_lines(download))
        else:
            with downloads.xlsx_file(download) as handle:
                size = handle.seek(0, os.SEEK_END)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"people's {format}: wall {wall:.2f} s, cpu {cpu:.2f} s, {count / cpu:,.0f} rows/s (cpu), "
            f"{size / 1e6:.1f} MB, peak memory +{maxrss_mb() - before:.1f} MB"
        )


if __name__ == "__main__":
    main()
