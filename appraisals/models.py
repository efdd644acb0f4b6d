"""The judgement: schemes, targets, periods, scorecards and improvement cases."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from staff.models import Branch, Position, Staff


class Item(models.TextChoices):
    """The scored items of SCORING.md §2. Targets exist for the first four."""

    ACCOUNTS = "accounts", _("开户数")
    EFFECTIVE = "effective", _("有效客户")
    EBANKING = "ebanking", _("电子银行")
    DEPOSITS = "deposits", _("存款日均")
    SATISFACTION = "satisfaction", _("客户满意度")
    MYSTERY = "mystery", _("神秘人暗访")


TARGET_ITEMS = [Item.ACCOUNTS, Item.EFFECTIVE, Item.EBANKING, Item.DEPOSITS]
# The items that have targets, as choices of their own (import files and forms accept only these).
TargetItem = models.TextChoices("TargetItem", [(item.name, (item.value, item.label)) for item in TARGET_ITEMS])


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("已启用")
    RETIRED = "retired", _("已停用")


class Scheme(models.Model):
    """A versioned scoring scheme. `parameters` is `scoring.Scheme.to_dict()`.

    A version is never edited once a scorecard uses it; HR makes a new version instead: a
    draft, copied from another version, edited, simulated, then adopted from a month onward.
    """

    code = models.CharField(_("方案代码"), max_length=32)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=100)
    position = models.CharField(_("适用岗位"), max_length=32, choices=Position.choices, default=Position.LOBBY_MANAGER)
    parameters = models.JSONField(_("参数"))
    active = models.BooleanField(_("启用"), default=True)
    status = models.CharField(_("状态"), max_length=16, choices=SchemeStatus.choices, default=SchemeStatus.ACTIVE)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="scheme_code_version")]

    def __str__(self):
        return f"{self.code} v{self.version}"

    @property
    def label(self) -> str:
        return f"{self.code} v{self.version}"


class PeriodStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    COMPUTED = "computed", _("已计算")
    REVIEWED = "reviewed", _("已复核")
    FINALIZED = "finalized", _("已定稿")


# Months a lobby manager and a display screen may see (SCORING.md §6): computed is HR's and the
# branch heads' alone until it is reviewed.
PUBLISHED_STATUSES = [PeriodStatus.REVIEWED, PeriodStatus.FINALIZED]


class Period(models.Model):
    """An appraisal month (SCORING.md §6): draft → computed → reviewed → finalized."""

    month = models.DateField(_("考核月份"), unique=True, help_text=_("该月第一天"))
    status = models.CharField(_("状态"), max_length=16, choices=PeriodStatus.choices, default=PeriodStatus.DRAFT)
    scheme = models.ForeignKey(
        Scheme,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="periods",
        verbose_name=_("考核方案"),
    )
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    # The engine's inputs at the last computation (scoring.input_fingerprint). A scorecard's own
    # `input_fingerprint` and `computed_at` are those of the computation that last changed it.
    input_fingerprint = models.CharField(_("输入指纹"), max_length=64, blank=True, default="")
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("计算人"),
    )
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("复核人"),
    )
    finalized_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("定稿人"),
    )
    # A voided month is a draft again: its scorecards are gone, the act is in the history.
    voided_at = models.DateTimeField(_("最近作废时间"), null=True, blank=True)
    void_reason = models.TextField(_("作废原因"), blank=True)
    reopened_at = models.DateTimeField(_("最近重开时间"), null=True, blank=True)
    reopen_reason = models.TextField(_("重开原因"), blank=True)
    scorecard_count = models.PositiveIntegerField(_("考核人数"), default=0)

    class Meta:
        verbose_name = _("考核期")
        verbose_name_plural = _("考核期")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"


class ScopeKind(models.TextChoices):
    BANK = "bank", _("全行")
    BRANCH = "branch", _("机构")
    STAFF = "staff", _("个人")


class Target(models.Model):
    """A monthly target for one item at one scope (SCORING.md §2: most specific wins)."""

    month = models.DateField(_("考核月份"))
    scope_kind = models.CharField(_("范围类型"), max_length=8, choices=ScopeKind.choices)
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("机构")
    )
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("员工")
    )
    item = models.CharField(_("指标"), max_length=16, choices=TargetItem.choices)
    target = models.DecimalField(_("目标值"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("考核目标")
        verbose_name_plural = _("考核目标")
        ordering = ["-month", "scope_kind", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "item"], condition=Q(scope_kind="bank"), name="target_unique_bank"
            ),
            models.UniqueConstraint(
                fields=["month", "item", "branch"],
                condition=Q(scope_kind="branch"),
                name="target_unique_branch",
            ),
            models.UniqueConstraint(
                fields=["month", "item", "staff"], condition=Q(scope_kind="staff"), name="target_unique_staff"
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope_kind="bank", branch__isnull=True, staff__isnull=True)
                    | Q(scope_kind="branch", branch__isnull=False, staff__isnull=True)
                    | Q(scope_kind="staff", branch__isnull=True, staff__isnull=False)
                ),
                name="target_scope_fits_kind",
            ),
            models.CheckConstraint(condition=Q(target__gte=0), name="target_not_negative"),
        ]

    def __str__(self):
        scope = {"bank": "bank", "branch": self.branch_id, "staff": self.staff_id}[self.scope_kind]
        return f"{self.month:%Y-%m} {scope} {self.item}={self.target}"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


def _points():
    return models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)


class Scorecard(models.Model):
    """One staff member's month, as computed by the engine (SCORING.md §1–§5).

    Everything downstream — tables, exports, PDFs, write-ups, screens — reads these rows and
    never recomputes. `items` keeps each item's actual, target, completion, weight and points
    for display; the flat columns serve sorting, filtering and the CSV export.
    """

    # No single-column index on period, staff or branch_path: the unique (period, staff) and the
    # (staff, period) and (period, branch_path) indexes below serve those look-ups, and every
    # index is written again for each scorecard a computation changes — after a correction,
    # most of the month's, as ranks move. Nor on branch, peer group or score: every read of
    # scorecards is of one month (or one person), which the composite indexes find, and a month's
    # 20,000 rows sort by score in milliseconds; only deleting a branch (refused while it has
    # scorecards) reads the table without an index.
    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="scorecards", verbose_name=_("考核期"), db_index=False
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="scorecards", verbose_name=_("员工"), db_index=False
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("机构"), db_index=False
    )
    peer_group = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("考核组"), db_index=False
    )
    branch_path = models.CharField(max_length=400, editable=False)
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="+", verbose_name=_("考核方案"))
    input_fingerprint = models.CharField(_("输入指纹"), max_length=64)
    computed_at = models.DateTimeField(_("计算时间"))
    # A digest of everything computed on this row (core.bulk.sync_rows): a recomputation
    # rewrites only the rows whose digest changes. Blank on rows written before it existed.
    figures_digest = models.CharField(max_length=32, blank=True, default="", editable=False)

    days_in_month = models.PositiveSmallIntegerField(_("当月天数"))
    present_days = models.PositiveSmallIntegerField(_("出勤天数"))

    accounts = models.PositiveIntegerField(_("开户数"))
    effective = models.PositiveIntegerField(_("有效客户"))
    ebanking = models.PositiveIntegerField(_("电子银行"))
    deposits = models.DecimalField(_("存款日均（万元）"), max_digits=16, decimal_places=4)
    deposits_total = models.DecimalField(_("存款总额（万元）"), max_digits=16, decimal_places=4)
    satisfaction = models.DecimalField(_("满意度"), max_digits=6, decimal_places=4)
    mystery = models.DecimalField(_("暗访得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    praise = models.PositiveIntegerField(_("表扬"))
    complaints = models.PositiveIntegerField(_("有效投诉"))
    major_complaints = models.PositiveIntegerField(_("重大投诉"))

    points_accounts = _points()
    points_effective = _points()
    points_ebanking = _points()
    points_deposits = _points()
    points_satisfaction = _points()
    points_mystery = _points()
    items = models.JSONField(_("分项明细"), default=list)

    base = models.DecimalField(_("基础分"), max_digits=8, decimal_places=2)
    bonus = models.DecimalField(_("加分"), max_digits=8, decimal_places=2)
    deduction = models.DecimalField(_("扣分"), max_digits=8, decimal_places=2)
    score = models.DecimalField(_("总分"), max_digits=8, decimal_places=2)
    grade = models.CharField(_("等次"), max_length=16, choices=Grade.choices)
    veto = models.BooleanField(_("一票否决"), default=False)
    exempt = models.BooleanField(_("免考核排名"), default=False)
    probation = models.BooleanField(_("试用期"), default=False)
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True)
    group_size = models.PositiveIntegerField(_("参与排名人数"))
    percentile = models.DecimalField(_("百分位"), max_digits=6, decimal_places=4, null=True, blank=True)
    rolling = models.DecimalField(_("近三月平均分"), max_digits=8, decimal_places=2, null=True, blank=True)
    eligible = models.BooleanField(_("参与末位评定"), default=False)
    bottom_flag = models.BooleanField(_("末位预警"), default=False)
    case_opened = models.BooleanField(_("启动改进程序"), default=False)
    # How the bottom tests came out, so a flag can be explained (SCORING.md §5).
    bottom_detail = models.JSONField(_("末位评定明细"), default=dict, blank=True)

    class Meta:
        verbose_name = _("月度考核结果")
        verbose_name_plural = _("月度考核结果")
        ordering = ["period", "peer_group_id", "rank"]
        constraints = [models.UniqueConstraint(fields=["period", "staff"], name="scorecard_once_a_month")]
        indexes = [
            models.Index(fields=["period", "peer_group", "rank"]),
            models.Index(fields=["period", "branch_path"]),
            models.Index(fields=["staff", "period"]),
            # The dashboard's flagged list (bottom_flag, by rolling average): without it a sort of
            # the month's 20,000 rows on every visit; written only for the few flagged rows.
            models.Index(fields=["period", "rolling"], condition=Q(bottom_flag=True), name="scorecard_flagged"),
        ]

    def __str__(self):
        return f"{self.period} {self.staff_id} {self.score}"


class CaseStage(models.IntegerChoices):
    IMPROVEMENT_PLAN = 1, _("改进计划")
    RETRAINING = 2, _("回柜台再培训")
    HR_LEGAL_REVIEW = 3, _("人力与法务审查（劳动合同法第四十条第二项）")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结案")
    WITHDRAWN = "withdrawn", _("已撤销")


class ImprovementCase(models.Model):
    """An improvement case (SCORING.md §5): opened by three flagged months, moved only by people.

    The system never terminates, demotes or cuts pay: stages 2 and 3 and closing are a
    person's decision with a note, and every step is kept in `CaseEvent`.
    """

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="cases", verbose_name=_("员工"))
    opened_period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="opened_cases", verbose_name=_("启动月份")
    )
    stage = models.PositiveSmallIntegerField(_("阶段"), choices=CaseStage.choices, default=CaseStage.IMPROVEMENT_PLAN)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_at = models.DateTimeField(_("启动时间"), auto_now_add=True)
    closed_month = models.DateField(_("结案月份"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    outcome_note = models.TextField(_("结论"), blank=True)

    class Meta:
        verbose_name = _("改进程序")
        verbose_name_plural = _("改进程序")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["staff"], condition=Q(status="open"), name="one_open_case_per_staff"),
        ]

    def __str__(self):
        return f"{self.staff} · {self.get_stage_display()} · {self.get_status_display()}"


def evidence_path(instance, filename):
    return f"cases/{instance.case_id}/{filename}"


class CaseEvent(models.Model):
    """A step of an improvement case: opened, stage moved, note added, closed or withdrawn."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("启动")
        STAGE = "stage", _("进入新阶段")
        NOTE = "note", _("记录")
        CLOSED = "closed", _("结案")
        WITHDRAWN = "withdrawn", _("撤销")

    case = models.ForeignKey(
        ImprovementCase, on_delete=models.CASCADE, related_name="events", verbose_name=_("改进程序")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    stage = models.PositiveSmallIntegerField(_("阶段"), choices=CaseStage.choices)
    note = models.TextField(_("说明"))
    evidence = models.FileField(_("证据材料"), upload_to=evidence_path, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("改进程序记录")
        verbose_name_plural = _("改进程序记录")
        ordering = ["case_id", "at", "id"]

    def __str__(self):
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d}"


class Acknowledgement(models.Model):
    """A lobby manager has read their scorecard of the month."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="acknowledgements", verbose_name=_("考核期")
    )
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="acknowledgements", verbose_name=_("员工"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("确认人"),
    )
    at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("结果确认")
        verbose_name_plural = _("结果确认")
        constraints = [models.UniqueConstraint(fields=["period", "staff"], name="acknowledge_once")]

    def __str__(self):
        return f"{self.staff_id} acknowledged {self.period_id}"


class AppealStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("申诉成立")
    REJECTED = "rejected", _("申诉不成立")
    VOIDED = "voided", _("考核结果已作废")


class Appeal(models.Model):
    """A lobby manager disputes a month's scorecard; while open, their bottom flag is under review."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="appeals", verbose_name=_("考核期"))
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("员工"))
    text = models.TextField(_("申诉内容"))
    status = models.CharField(_("状态"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    resolution = models.TextField(_("处理意见"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("申诉人"),
    )
    created_at = models.DateTimeField(_("申诉时间"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("处理人"),
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "staff"], condition=Q(status="open"), name="one_open_appeal_per_month"
            ),
        ]

    def __str__(self):
        return f"{self.staff_id} appeal {self.period_id} {self.status}"


class BranchSignoff(models.Model):
    """A branch head has reviewed and signed off their branch's scorecards for the month."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="signoffs", verbose_name=_("考核期"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("机构"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("签核人"),
    )
    note = models.TextField(_("意见"), blank=True)
    at = models.DateTimeField(_("签核时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("机构签核")
        verbose_name_plural = _("机构签核")
        constraints = [models.UniqueConstraint(fields=["period", "branch"], name="signoff_once")]

    def __str__(self):
        return f"{self.branch_id} signed off {self.period_id}"


class WriteUpScope(models.TextChoices):
    MONTH = "month", _("月度")
    YEAR = "year", _("年度（1月至所选月份）")


class WriteUpStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已审定")


class WriteUp(models.Model):
    """An appraisal write-up (考核评语): the generated draft beside the text HR edits and approves.

    `facts` keeps the figures each sentence of the draft rests on, so nothing in it is invented.
    """

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="writeups", verbose_name=_("员工"))
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="writeups", verbose_name=_("考核期"))
    scope = models.CharField(_("范围"), max_length=8, choices=WriteUpScope.choices, default=WriteUpScope.MONTH)
    draft_zh = models.TextField(_("系统草稿（中文）"))
    draft_en = models.TextField(_("系统草稿（英文）"))
    text_zh = models.TextField(_("评语（中文）"))
    text_en = models.TextField(_("评语（英文）"))
    facts = models.JSONField(_("依据"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=WriteUpStatus.choices, default=WriteUpStatus.DRAFT)
    generated_at = models.DateTimeField(_("生成时间"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("修改人"),
    )
    edited_at = models.DateTimeField(_("修改时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审定人"),
    )
    approved_at = models.DateTimeField(_("审定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考核评语")
        verbose_name_plural = _("考核评语")
        ordering = ["-period__month", "staff_id"]
        constraints = [models.UniqueConstraint(fields=["staff", "period", "scope"], name="writeup_once")]

    def __str__(self):
        return f"{self.staff_id} {self.period_id} {self.scope}"


class NameStyle(models.TextChoices):
    FULL = "full", _("全名")
    SURNAME = "surname", _("姓氏＋经理")


class Screen(models.Model):
    """A lobby display screen showing a branch subtree's honour board (光荣榜).

    Only a hash of its token is stored; the token itself is shown once, when it is made.
    """

    name = models.CharField(_("名称"), max_length=100)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="screens", verbose_name=_("机构"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    top_n = models.PositiveSmallIntegerField(_("上榜人数"), default=10)
    rotate_seconds = models.PositiveSmallIntegerField(_("轮播间隔（秒）"), default=15)
    poll_seconds = models.PositiveSmallIntegerField(_("刷新间隔（秒）"), default=30)
    show_deposits = models.BooleanField(_("显示存款榜"), default=False, help_text=_("监管不鼓励存款竞赛，默认关闭"))
    name_style = models.CharField(_("姓名显示"), max_length=8, choices=NameStyle.choices, default=NameStyle.FULL)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近访问"), null=True, blank=True)

    class Meta:
        verbose_name = _("大屏")
        verbose_name_plural = _("大屏")
        ordering = ["name"]
        # A revoked screen's name may be used again for its replacement.
        constraints = [
            models.UniqueConstraint(fields=["name"], condition=Q(revoked_at__isnull=True), name="screen_live_name")
        ]

    def __str__(self):
        return self.name


class Job(models.Model):
    """A long piece of work run in the background (a month's computation, a zip of PDFs),
    with its progress for the console to show."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=32)
    params = models.JSONField(_("参数"), default=dict)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    result_file = models.CharField(_("结果文件"), max_length=500, blank=True)
    message = models.TextField(_("信息"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The last sign of life from whatever runs the job; see appraisals.services.jobs.jobs_expire_stale.
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    # Failed because its worker vanished (not because the work went wrong): a redelivered task may take it up again.
    interrupted = models.BooleanField(_("因进程中断而失败"), default=False)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} #{self.pk} {self.state}"

    @property
    def percent(self) -> int:
        """How far along, for a progress bar: counted work when there is a count, else a guess."""
        if self.state == self.State.DONE:
            return 100
        if self.state == self.State.RUNNING:
            return min(99, 100 * self.done // self.total) if self.total else 50
        return 5 if self.state == self.State.QUEUED else 0


class SchemeAdoption(models.Model):
    """HR adopted a scheme version from a month onward: that month and the later ones are
    computed with it, until a later adoption (`selectors.scheme_for_month`)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="adoptions", verbose_name=_("考核方案"))
    from_month = models.DateField(_("起始月份"), help_text=_("该月第一天"))
    reason = models.TextField(_("原因"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("启用人"),
    )
    created_at = models.DateTimeField(_("启用时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("方案启用记录")
        verbose_name_plural = _("方案启用记录")
        ordering = ["-from_month", "-id"]

    def __str__(self):
        return f"{self.scheme} from {self.from_month:%Y-%m}"


class Simulation(models.Model):
    """A what-if run: a scheme applied to computed months, writing nothing to the real results.

    `table` is the person-by-person comparison (the columns of CONTRACT.md §2's simulate_scheme
    CSV, plus what the comparison page needs), gzip-compressed CSV: a year of a 20,000-manager
    bank is 240,000 rows, which do not belong in a table of their own.
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="simulations", verbose_name=_("考核方案"))
    first = models.DateField(_("起始月份"))
    last = models.DateField(_("截止月份"))
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("后台任务")
    )
    table = models.BinaryField(_("对比明细"), null=True, blank=True, editable=False)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    summary = models.JSONField(_("汇总"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("方案模拟")
        verbose_name_plural = _("方案模拟")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.scheme} {self.first:%Y-%m}..{self.last:%Y-%m}"

    @property
    def done(self) -> bool:
        return self.finished_at is not None


class EngineInputs(models.Model):
    """What the engine read when a month was last computed (all but the history), kept so a
    what-if simulation can run the engine on exactly those inputs without aggregating the
    month's records again. `fingerprint` is the scorecards' `input_fingerprint`: a simulation
    uses these inputs only while the month's scorecards still carry it."""

    period = models.OneToOneField(Period, on_delete=models.CASCADE, related_name="engine_inputs")
    effective_threshold = models.DecimalField(_("有效客户资产门槛（元）"), max_digits=14, decimal_places=2)
    fingerprint = models.CharField(_("输入指纹"), max_length=64)
    data = models.BinaryField(editable=False)
    created_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("计算输入")
        verbose_name_plural = _("计算输入")

    def __str__(self):
        return f"{self.period} {self.fingerprint[:8]}"
