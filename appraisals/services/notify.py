"""Who is told of what happens to a month, an appeal or an improvement case (issue 10 item 4).

Each function is called by the service that makes the event happen, once it has happened, and
hands `notices.services.notices_send` the event's key, its recipients and its words' values;
delivery waits for the transaction to commit. The keys make each event tell a person once:
publishing or recomputing a month again tells nobody twice.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals import selectors
from appraisals.models import Appeal, ImprovementCase, Period, PeriodStatus, Scorecard
from core.errors import LobbyStarError
from notices.models import NoticeKind
from notices.selectors import Recipient, head_recipients, hr_recipients, staff_recipients
from notices.services import notices_send


def _month(period: Period) -> str:
    return f"{period.month:%Y-%m}"


def period_computed(*, period: Period, cases_opened=()) -> None:
    """A month is computed: the heads of the sub-branches still to sign off are reminded, and
    whoever the computation put on an improvement plan is told."""
    if period.status == PeriodStatus.COMPUTED:
        signoff_remind(period=period, event_key=f"signoff:{_month(period)}")
    for case in ImprovementCase.objects.filter(pk__in=list(cases_opened)):
        case_opened(case=case, period=period)


def signoff_remind(*, period: Period, event_key: str | None = None) -> int:
    """Reminds the heads of the sub-branches that have not signed off the month, and the
    branch group. Without a key (HR's "remind again") it is a new reminder, once a minute at
    most. Returns how many heads were reminded."""
    month = _month(period)
    if period.status != PeriodStatus.COMPUTED:
        raise LobbyStarError(_("%(month)s 不在待签核状态，无需提醒。") % {"month": month})
    event_key = event_key or f"signoff:{month}:again:{timezone.now():%Y%m%d%H%M}"
    missing = selectors.signoff_state(period=period)["missing"]
    if not missing:
        return 0
    link = reverse("console:month", args=[month])
    heads = [
        Recipient(user_id=head.user_id, email=head.email, params={"branches": "、".join(b.name for b in theirs)})
        for head, theirs in head_recipients(branches=missing)
    ]
    notices_send(
        kind=NoticeKind.SIGNOFF_REMINDER,
        event_key=event_key,
        recipients=heads,
        params={"month": month, "branches": "、".join(branch.name for branch in missing)},
        link=link,
        group=True,
    )
    return len(heads)


def period_published(*, period: Period) -> None:
    """A month is reviewed (published): each lobby manager with a scorecard is told, and the group."""
    month = _month(period)
    cards = dict(Scorecard.objects.filter(period=period).values_list("staff_id", "staff__employee_no"))
    people = staff_recipients(staff_ids=cards)
    recipients = [
        Recipient(
            user_id=person.user_id,
            staff_id=person.staff_id,
            email=person.email,
            link=reverse("console:scorecard", args=[month, cards[person.staff_id]]),
        )
        for person in people.values()
    ]
    mentions = (
        Scorecard.objects.filter(period=period)
        .exclude(staff__wecom_userid="")
        .values_list("staff__wecom_userid", flat=True)
    )
    notices_send(
        kind=NoticeKind.PERIOD_PUBLISHED,
        event_key=f"published:{month}",
        recipients=recipients,
        params={"month": month},
        link=reverse("console:me"),
        group=True,
        mentions=list(mentions),
    )


def appeal_created(*, appeal: Appeal) -> None:
    """HR is told of each new appeal."""
    notices_send(
        kind=NoticeKind.APPEAL_CREATED,
        event_key=f"appeal:{appeal.pk}:created",
        recipients=hr_recipients(),
        params={"month": _month(appeal.period), "name": appeal.staff.name, "employee_no": appeal.staff.employee_no},
        link=reverse("console:appeal", args=[appeal.pk]),
    )


def appeal_resolved(*, appeal: Appeal) -> None:
    """The employee is told of HR's decision on their appeal."""
    notices_send(
        kind=NoticeKind.APPEAL_RESOLVED,
        event_key=f"appeal:{appeal.pk}:{appeal.status}",
        recipients=staff_recipients(staff_ids=[appeal.staff_id]).values(),
        params={"month": _month(appeal.period), "outcome": appeal.status},
        link=reverse("console:appeal", args=[appeal.pk]),
    )


def case_opened(*, case: ImprovementCase, period: Period | None = None) -> None:
    period = period or case.opened_period
    notices_send(
        kind=NoticeKind.CASE_OPENED,
        event_key=f"case:{case.pk}:opened",
        recipients=staff_recipients(staff_ids=[case.staff_id]).values(),
        params={"month": _month(period)},
        link=reverse("console:me"),
    )


def case_advanced(*, case: ImprovementCase) -> None:
    notices_send(
        kind=NoticeKind.CASE_ADVANCED,
        event_key=f"case:{case.pk}:stage:{case.stage}",
        recipients=staff_recipients(staff_ids=[case.staff_id]).values(),
        params={"stage": int(case.stage)},
        link=reverse("console:me"),
    )


def case_closed(*, case: ImprovementCase) -> None:
    notices_send(
        kind=NoticeKind.CASE_CLOSED,
        event_key=f"case:{case.pk}:closed",
        recipients=staff_recipients(staff_ids=[case.staff_id]).values(),
        params={},
        link=reverse("console:me"),
    )
