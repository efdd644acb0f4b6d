"""The inbox: a sign-in's own notices, opening one (read, then on to what it is about), and
marking them all read."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisals.selectors import signoff_state
from appraisals.services import notify
from console.access import anyone, hr_only, period_from_url
from notices.selectors import notices_for_user
from notices.services import notice_read, notices_read_all
from notices.texts import notice_words


@anyone
def inbox(request):
    page = Paginator(notices_for_user(user=request.user).order_by("-created_at", "-id"), 30).get_page(
        request.GET.get("page")
    )
    for notice in page:
        notice.words = notice_words(notice.kind, notice.params)  # in the reader's language
    return render(request, "console/notices/inbox.html", {"page": page})


@anyone
def notice_open(request, pk):
    notice = notice_read(notice=get_object_or_404(notices_for_user(user=request.user), pk=pk))
    if notice.link and url_has_allowed_host_and_scheme(notice.link, allowed_hosts={request.get_host()}):
        return redirect(notice.link)
    return redirect("console:inbox")


@require_POST
@anyone
def inbox_read_all(request):
    notices_read_all(notices=notices_for_user(user=request.user))
    return redirect("console:inbox")


@require_POST
@hr_only
def month_remind(request, month):
    """HR reminds again the heads of the sub-branches that have not signed off the month."""
    period = period_from_url(month)
    missing = len(signoff_state(period=period)["missing"])
    count = notify.signoff_remind(period=period)
    if count:
        messages.success(
            request,
            _("已提醒 %(branches)d 个未签核支行的 %(count)d 位负责人。") % {"branches": missing, "count": count},
        )
    else:
        messages.warning(request, _("待签核的支行没有负责人账号，无人可提醒。"))
    return redirect("console:month", month=month)
