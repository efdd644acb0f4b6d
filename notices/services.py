"""Telling people: notices are written with the event that causes them and delivered after it
commits — by mail where there is an address, to the 企业微信 group robot for branch notices.

An event has a key ("published:2026-11"); each recipient gets at most one notice per key, so
publishing or recomputing a month again never tells anybody twice. Delivery is a task
(`notices.deliver`) that claims the notice under a guarded update and marks each channel sent
the same way, so a retried or doubled task never sends a channel twice.
"""

import datetime
import json
import logging
import urllib.request
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import LobbyStarError
from core.urls import absolute_url
from notices.models import Notice, NoticeKind
from notices.selectors import Recipient
from notices.texts import group_words, notice_words

logger = logging.getLogger(__name__)

DELIVER_TASK = "notices.deliver"
# A worker that claimed a notice and vanished leaves it to the next try after this long.
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)


class NoticeNotDelivered(LobbyStarError):
    """A channel failed; the task tries again later (what failed is in `last_error`)."""


def notices_send(
    *,
    kind: str,
    event_key: str,
    recipients: Iterable[Recipient] = (),
    params: dict,
    link: str = "",
    group: bool = False,
    mentions: Iterable[str] = (),
) -> list[Notice]:
    """Writes the notices of one event — one per recipient not told of it yet, and with `group`
    one post to the 企业微信 group robot when WECOM_WEBHOOK_URL is set — and delivers them once
    the surrounding transaction commits. Returns the notices written now."""
    rows, seen = [], set()
    with translation.override(settings.LANGUAGE_CODE):
        for recipient in recipients:
            who = ("staff", recipient.staff_id) if recipient.staff_id else ("user", recipient.user_id)
            if who[1] is None or who in seen:
                continue
            seen.add(who)
            own = {**params, **(recipient.params or {})}
            subject, body = notice_words(kind, own)
            rows.append(
                Notice(
                    kind=kind,
                    event_key=event_key,
                    user_id=recipient.user_id,
                    staff_id=recipient.staff_id,
                    email=recipient.email,
                    params=own,
                    subject=subject[:200],
                    body=body,
                    link=recipient.link or link,
                )
            )
        if group and settings.WECOM_WEBHOOK_URL:
            post = dict(params, mentions=sorted(set(mentions) - {""}))
            rows.append(
                Notice(
                    kind=kind,
                    event_key=event_key,
                    params=post,
                    subject=str(NoticeKind(kind).label),
                    body=group_words(kind, post),
                    link=link,
                )
            )
    told = Notice.objects.filter(event_key=event_key)
    told_staff = set(told.filter(staff__isnull=False).values_list("staff_id", flat=True))
    told_users = set(told.filter(staff__isnull=True, user__isnull=False).values_list("user_id", flat=True))
    told_group = told.filter(staff__isnull=True, user__isnull=True).exists()
    new = [
        row
        for row in rows
        if not (
            (row.staff_id and row.staff_id in told_staff)
            or (not row.staff_id and row.user_id and row.user_id in told_users)
            or (not row.staff_id and not row.user_id and told_group)
        )
    ]
    with transaction.atomic():
        Notice.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    deliverable = list(
        Notice.objects.filter(event_key=event_key, attempts=0, sending_since__isnull=True)
        .filter(Q(mail_sent_at__isnull=True, email__gt="") | Q(staff__isnull=True, user__isnull=True))
        .values_list("id", flat=True)
    )
    if deliverable:
        transaction.on_commit(lambda: _deliver_later(deliverable), robust=True)
    return new


def _deliver_later(notice_ids: list[int]) -> None:
    """Hands the notices to the workers; with no broker, delivers each once in-process and
    leaves a failed one for `send_notices` rather than holding up the person who caused it."""
    for notice_id in notice_ids:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            try:
                notice_deliver(notice_id=notice_id)
            except NoticeNotDelivered as error:
                logger.warning("notice %s not delivered: %s", notice_id, error)
        else:
            current_app.signature(DELIVER_TASK, args=[notice_id]).apply_async()


def notice_deliver(*, notice_id: int) -> Notice | None:
    """Sends what is still unsent of one notice: the mail, the group post. Raises
    NoticeNotDelivered when a channel failed (the other is still sent and marked)."""
    now = timezone.now()
    claimed = (
        Notice.objects.filter(pk=notice_id)
        .filter(Q(sending_since__isnull=True) | Q(sending_since__lt=now - CLAIM_TIMEOUT))
        .update(sending_since=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None  # another worker holds it, or it is gone
    notice = Notice.objects.get(pk=notice_id)
    errors = []
    try:
        if notice.email and notice.mail_sent_at is None:
            try:
                _mail(notice)
                Notice.objects.filter(pk=notice.pk, mail_sent_at__isnull=True).update(mail_sent_at=timezone.now())
            except Exception as error:
                errors.append(f"mail: {error}")
        if notice.is_group_post and notice.wecom_sent_at is None and settings.WECOM_WEBHOOK_URL:
            try:
                _wecom_post(notice)
                Notice.objects.filter(pk=notice.pk, wecom_sent_at__isnull=True).update(wecom_sent_at=timezone.now())
            except Exception as error:
                errors.append(f"wecom: {error}")
    finally:
        Notice.objects.filter(pk=notice.pk, sending_since=now).update(
            sending_since=None, last_error="; ".join(errors)[:2000]
        )
    if errors:
        raise NoticeNotDelivered(_("通知 %(id)s 未能送达：%(errors)s") % {"id": notice.pk, "errors": "; ".join(errors)})
    notice.refresh_from_db()
    return notice


def _mail(notice: Notice) -> None:
    body = notice.body
    if notice.link:
        body += "\n\n" + absolute_url(notice.link)
    with translation.override(settings.LANGUAGE_CODE):
        body += "\n\n" + _("—— 大堂之星（此邮件由系统自动发送，请勿回复）")
    EmailMessage(subject=notice.subject, body=body, to=[notice.email]).send(fail_silently=False)


def _wecom_post(notice: Notice) -> None:
    """A text message of a 企业微信 group robot; the staff given by `wecom_userid` are @-mentioned."""
    content = notice.body + (f"\n{absolute_url(notice.link)}" if notice.link else "")
    message = {"msgtype": "text", "text": {"content": content, "mentioned_list": notice.params.get("mentions", [])}}
    request = urllib.request.Request(
        settings.WECOM_WEBHOOK_URL,
        data=json.dumps(message, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.WECOM_TIMEOUT) as response:
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise NoticeNotDelivered(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


def notices_send_pending() -> int:
    """Delivers again every notice not fully sent (for `send_notices`): how many were tried."""
    unsent = Q(mail_sent_at__isnull=True, email__gt="")
    if settings.WECOM_WEBHOOK_URL:
        unsent |= Q(staff__isnull=True, user__isnull=True, wecom_sent_at__isnull=True)
    pending = Notice.objects.filter(unsent).values_list("id", flat=True)
    ids = list(pending)
    _deliver_later(ids)
    return len(ids)


def notice_read(*, notice: Notice) -> Notice:
    """The reader opened it; reading again changes nothing."""
    if notice.read_at is None:
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())
        notice.refresh_from_db()
    return notice


def notices_read_all(*, notices) -> int:
    return notices.filter(read_at__isnull=True).update(read_at=timezone.now())
