"""Branch sign-offs (签核) of a computed month: which sub-branches must sign, and signing."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from appraisals.models import BranchSignoff, Period, PeriodStatus
from audit.models import Change
from audit.services import change_record
from core.errors import LobbyStarError
from staff.models import Branch


def branch_signoff(*, period: Period, branch: Branch, user, note: str = "") -> BranchSignoff:
    """A branch head signs off their branch's scorecards of a computed month."""
    if period.status != PeriodStatus.COMPUTED:
        raise LobbyStarError(
            _("%(month)s 当前状态为「%(status)s」，不能签核。")
            % {"month": period.label, "status": period.get_status_display()}
        )
    try:
        with transaction.atomic():
            signoff = BranchSignoff.objects.create(period=period, branch=branch, user=user, note=note.strip())
    except IntegrityError:
        raise LobbyStarError(_("%(branch)s 已签核过该月。") % {"branch": branch.name}) from None
    change_record(obj=signoff, action=Change.Action.CREATE, user=user, reason=note, source="console")
    return signoff
