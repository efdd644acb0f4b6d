"""The bank's systems that call the API (CONTRACT.md §5): each holds a token, stored only as
its SHA-256, and the scopes it was given."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    ORGANISATION_WRITE = "organisation:write", _("写入机构、员工与缺勤")
    RECORDS_WRITE = "records:write", _("写入业务记录与目标")
    SCORECARDS_READ = "scorecards:read", _("读取考核结果")


class ApiClient(models.Model):
    """One calling system. The token is shown once when the client is made; only its hash is kept,
    so whoever reads the database cannot call the API."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    scopes = models.JSONField(_("权限范围"), default=list)
    # Addresses or networks (CIDR) the client may call from; empty means any.
    allowed_from = models.JSONField(_("允许的来源地址"), default=list, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")
        ordering = ["name"]

    def __str__(self):
        return self.name

    # What DRF's request.user needs of a caller.
    is_authenticated = True
    is_anonymous = False

    @property
    def source(self) -> str:
        """How the history and the import batches name what this client sent."""
        return f"api:{self.name}"
