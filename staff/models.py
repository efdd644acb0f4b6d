"""The organisation: the branch tree, staff, their moves and absences, and sign-in roles."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    HEAD_OFFICE = "head_office", _("总行")
    BRANCH = "branch", _("分行")
    SUB_BRANCH = "sub_branch", _("支行")
    OUTLET = "outlet", _("网点")


# A child sits exactly one level below its parent.
LEVEL_ORDER = [Level.HEAD_OFFICE, Level.BRANCH, Level.SUB_BRANCH, Level.OUTLET]
PARENT_LEVEL = {child: parent for parent, child in zip(LEVEL_ORDER, LEVEL_ORDER[1:], strict=False)}


class Branch(models.Model):
    """A node of the branch tree (总行 → 分行 → 支行 → 网点).

    `path` is the materialised path of codes ("/HO/B01/S0101/"), so a subtree is one
    `path__startswith` query and the ancestors of a branch are read from its own row.
    """

    code = models.CharField(_("机构号"), max_length=32, unique=True)
    name = models.CharField(_("机构名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级机构"),
    )
    path = models.CharField(_("路径"), max_length=400, db_index=True, editable=False)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["path"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to this branch, itself included."""
        return [code for code in self.path.split("/") if code]

    @property
    def tier1_code(self) -> str | None:
        """The code of the tier-1 branch (分行) this branch lies under, or None for the head office."""
        codes = self.ancestor_codes
        return codes[1] if len(codes) >= 2 else None


class Position(models.TextChoices):
    LOBBY_MANAGER = "lobby_manager", _("大堂经理")
    TELLER = "teller", _("柜员")
    CUSTOMER_MANAGER = "customer_manager", _("客户经理")
    BRANCH_HEAD = "branch_head", _("网点负责人")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    ACTIVE = "active", _("在岗")
    LEFT = "left", _("离职")


class Staff(models.Model):
    """A member of staff as they are now; `Assignment` keeps what they held on any day."""

    employee_no = models.CharField(_("员工编号"), max_length=32, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="staff", verbose_name=_("机构"))
    position = models.CharField(_("岗位"), max_length=32, choices=Position.choices)
    position_since = models.DateField(_("任职日期"))
    hired_on = models.DateField(_("入职日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # Where notices reach them beyond the console's inbox (CONTRACT.md §1); empty: not given.
    email = models.EmailField(_("邮箱"), max_length=254, blank=True, default="")
    wecom_userid = models.CharField(_("企业微信账号"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        ordering = ["employee_no"]

    def __str__(self):
        return f"{self.name}（{self.employee_no}）"


class Assignment(models.Model):
    """What a staff member held from `valid_from` until the day before `valid_to`.

    The rows of one person never overlap, so "which branch and position on date d" is
    `valid_from <= d and (valid_to is null or valid_to > d)` — one query for everybody.
    """

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("员工"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("机构"))
    position = models.CharField(_("岗位"), max_length=32, choices=Position.choices)
    position_since = models.DateField(_("任职日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("截止日期（不含）"), null=True, blank=True)

    class Meta:
        verbose_name = _("任职记录")
        verbose_name_plural = _("任职记录")
        ordering = ["staff_id", "valid_from"]
        indexes = [models.Index(fields=["valid_from", "valid_to"])]
        constraints = [
            models.UniqueConstraint(fields=["staff", "valid_from"], name="assignment_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="assignment_valid_range",
            ),
        ]

    def __str__(self):
        return f"{self.staff_id} {self.position}@{self.branch_id} {self.valid_from}–{self.valid_to or ''}"


class AbsenceKind(models.TextChoices):
    ANNUAL = "annual", _("年假")
    SICK = "sick", _("病假")
    MATERNITY = "maternity", _("产假")
    TRAINING = "training", _("培训")
    OTHER = "other", _("其他")


class Absence(models.Model):
    """Days away from the lobby, inclusive at both ends; keyed by staff, start and end."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="absences", verbose_name=_("员工"))
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    kind = models.CharField(_("类型"), max_length=16, choices=AbsenceKind.choices, default=AbsenceKind.OTHER)

    class Meta:
        verbose_name = _("缺勤")
        verbose_name_plural = _("缺勤")
        ordering = ["staff_id", "start"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "start", "end"], name="absence_unique_span"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="absence_ordered"),
        ]
        indexes = [models.Index(fields=["start", "end"])]

    def __str__(self):
        return f"{self.staff_id} {self.get_kind_display()} {self.start}–{self.end}"


class Role(models.TextChoices):
    HR = "hr", _("人力资源部")
    BRANCH_HEAD = "branch_head", _("机构负责人")
    LOBBY_MANAGER = "lobby_manager", _("大堂经理")


class Membership(models.Model):
    """A sign-in's role and scope: HR sees all, a branch head a subtree, a lobby manager themself."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("用户")
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("机构")
    )
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("员工")
    )

    class Meta:
        verbose_name = _("登录角色")
        verbose_name_plural = _("登录角色")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="hr")
                    | Q(role="branch_head", branch__isnull=False)
                    | Q(role="lobby_manager", staff__isnull=False)
                ),
                name="membership_scope_fits_role",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"
