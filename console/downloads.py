"""A list page's download: the page's own rows (scoped and filtered exactly as shown) as an
XLSX or a CSV for people, written by reports.downloads. A view asks `download_response` first
and renders the page when it answers None."""

from collections.abc import Callable

from django.contrib import messages
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header

from reports import downloads
from reports.downloads import Download

EXPORT = "export"  # ?export=xlsx or ?export=csv, beside the page's own filter
NOT_FILTERS = (EXPORT, "page", "sort", "per_page")


def filter_data(request):
    """The page's filter, without what only pages, sorts or asks for a download."""
    data = request.GET.copy()
    for name in NOT_FILTERS:
        data.pop(name, None)
    return data


def download_response(request, make: Callable[[], Download]) -> HttpResponse | None:
    """The download the request asks for (`make` builds it), else None."""
    format = request.GET.get(EXPORT)
    if format not in downloads.FORMATS:
        return None
    download = make()
    refusal = downloads.xlsx_refusal(download) if format == "xlsx" else ""
    if refusal:
        # Back to the page as it was, told why; the CSV has no row limit.
        messages.error(request, refusal)
        query = request.GET.copy()
        query.pop(EXPORT, None)
        return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)
    if format == "csv":
        response = StreamingHttpResponse(downloads.csv_lines(download), content_type=downloads.content_type("csv"))
    else:
        response = FileResponse(downloads.xlsx_file(download), content_type=downloads.content_type("xlsx"))
    response["Content-Disposition"] = content_disposition_header(True, download.filename(format))
    response["Cache-Control"] = "private, no-store"
    return response
