"""Notices: what a person is told, in the console's inbox and by mail, and what a 企业微信 group
robot is sent. One row per event and recipient, so one event is never told twice."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from staff.models import Staff


class NoticeKind(models.TextChoices):
    PERIOD_PUBLISHED = "period_published", _("考核结果发布")
    SIGNOFF_REMINDER = "signoff_reminder", _("签核提醒")
    APPEAL_CREATED = "appeal_created", _("新申诉")
    APPEAL_RESOLVED = "appeal_resolved", _("申诉处理结果")
    CASE_OPENED = "case_opened", _("改进程序启动")
    CASE_ADVANCED = "case_advanced", _("改进程序推进")
    CASE_CLOSED = "case_closed", _("改进程序结案")


class Notice(models.Model):
    """One thing told to one recipient: a sign-in (`user`), a staff member (`staff`, who may
    have no sign-in yet and is then reached by mail only), or — neither — the bank's 企业微信
    group robot.

    `subject` and `body` are the words as sent, in the site's language; the inbox words them
    again in the reader's language from `kind` and `params` (`notices.texts`).
    """

    kind = models.CharField(_("类型"), max_length=32, choices=NoticeKind.choices)
    event_key = models.CharField(_("事件"), max_length=120)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("收件人"),
    )
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("员工")
    )
    email = models.EmailField(_("邮箱"), blank=True, default="")
    params = models.JSONField(_("参数"), default=dict, blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    mail_sent_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    wecom_sent_at = models.DateTimeField(_("企业微信发送时间"), null=True, blank=True)
    # Set while one worker delivers it, so two runs of the task never send it twice.
    sending_since = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True, default="")

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "staff"], condition=Q(staff__isnull=False), name="notice_once_per_staff"
            ),
            models.UniqueConstraint(
                fields=["event_key", "user"],
                condition=Q(staff__isnull=True, user__isnull=False),
                name="notice_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["event_key"], condition=Q(staff__isnull=True, user__isnull=True), name="notice_once_per_group"
            ),
        ]

    def __str__(self):
        return f"{self.event_key} → {self.user_id or self.staff_id or 'wecom'}"

    @property
    def is_group_post(self) -> bool:
        return self.user_id is None and self.staff_id is None
