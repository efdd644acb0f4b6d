"""Writes for display screens: making one, revoking it, and noting when it was last seen."""

import datetime
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals.models import NameStyle, Screen
from audit.models import Change
from audit.services import change_record
from core.errors import LobbyStarError
from screens.selectors import token_hash
from staff.models import Branch

# A screen reports itself at most this often; a lobby TV polls every 30 s all day.
SEEN_EVERY = datetime.timedelta(minutes=1)

TOP_N_RANGE = (1, 30)
SECONDS_RANGE = (1, 3600)


class ScreenError(LobbyStarError):
    """A screen cannot be made or changed as asked; the message says why, for a person to read."""


def _check_range(label: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not isinstance(value, int) or not low <= value <= high:
        raise ScreenError(
            _("%(label)s 必须是 %(low)d 到 %(high)d 之间的整数。") % {"label": label, "low": low, "high": high}
        )


@transaction.atomic
def screen_create(
    *,
    branch: Branch,
    name: str,
    user=None,
    top_n: int = 10,
    rotate_seconds: int = 15,
    poll_seconds: int = 30,
    show_deposits: bool = False,
    name_style: str = NameStyle.FULL,
) -> tuple[Screen, str]:
    """Makes a screen for the branch's subtree and returns it with its token.

    The token is returned this once and never stored: the screen keeps only its SHA-256, so
    whoever can read the database cannot open a screen.
    """
    name = (name or "").strip()
    if not name:
        raise ScreenError(_("请填写大屏名称。"))
    if Screen.objects.filter(name=name, revoked_at__isnull=True).exists():
        raise ScreenError(_("已有名为「%(name)s」的在用大屏，请换一个名称。") % {"name": name})
    _check_range(_("上榜人数"), top_n, TOP_N_RANGE)
    _check_range(_("轮播间隔（秒）"), rotate_seconds, SECONDS_RANGE)
    _check_range(_("刷新间隔（秒）"), poll_seconds, SECONDS_RANGE)
    if name_style not in NameStyle.values:
        raise ScreenError(_("未知的姓名显示方式：%(style)s") % {"style": name_style})
    token = secrets.token_urlsafe(24)
    screen = Screen.objects.create(
        name=name,
        branch=branch,
        token_hash=token_hash(token),
        top_n=top_n,
        rotate_seconds=rotate_seconds,
        poll_seconds=poll_seconds,
        show_deposits=bool(show_deposits),
        name_style=name_style,
        created_by=user,
    )
    change_record(
        obj=screen,
        action=Change.Action.CREATE,
        user=user,
        source="screen_create",
        fields={
            "name": [None, name],
            "branch": [None, branch.code],
            "top_n": [None, top_n],
            "rotate_seconds": [None, rotate_seconds],
            "poll_seconds": [None, poll_seconds],
            "show_deposits": [None, bool(show_deposits)],
            "name_style": [None, name_style],
        },
    )
    return screen, token


@transaction.atomic
def screen_revoke(*, screen: Screen, user=None) -> Screen:
    """Stops a screen for good: its token answers 404 from the next request on."""
    now = timezone.now()
    revoked = Screen.objects.filter(pk=screen.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked != 1:
        raise ScreenError(_("大屏「%(name)s」已停用。") % {"name": screen.name})
    change_record(
        obj=screen,
        action=Change.Action.TRANSITION,
        user=user,
        source="screen_revoke",
        fields={"revoked_at": [None, now.isoformat()]},
    )
    screen.refresh_from_db()
    return screen


def screen_seen(*, screen: Screen, now: datetime.datetime | None = None) -> bool:
    """Notes that the screen asked for its board, at most once a minute.

    Most requests write nothing: the screen row read for the request says when it was last
    seen. When it is due, one guarded update lets a single worker write it, even when several
    answer the same screen at once. True when this call wrote.
    """
    now = now or timezone.now()
    due = now - SEEN_EVERY
    if screen.last_seen_at is not None and screen.last_seen_at > due:
        return False
    written = (
        Screen.objects.filter(pk=screen.pk)
        .filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=due))
        .update(last_seen_at=now)
    )
    if written:
        screen.last_seen_at = now
    return bool(written)
