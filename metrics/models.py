"""The facts: the four kinds of record, the imports that brought them, and month locks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from staff.models import Staff


class ImportBatch(models.Model):
    """One run of an import: what came in, from which file, by whom, and how it ended."""

    class Outcome(models.TextChoices):
        IMPORTED = "imported", _("已导入")
        REJECTED = "rejected", _("已拒绝")
        DRY_RUN = "dry_run", _("仅检查")

    kind = models.CharField(_("数据类型"), max_length=16)
    filename = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)  # the first LISTED_ERRORS of them
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    update_mode = models.BooleanField(_("允许更新"), default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    seconds = models.FloatField(_("耗时（秒）"), default=0)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.kind} {self.filename} {self.started_at:%Y-%m-%d %H:%M}"


class MonthLock(models.Model):
    """A finalized month (SCORING.md §6): records dated in it can be neither added nor changed.

    Written by the appraisal workflow through `metrics.services.month_lock`, read here, so
    the lock is enforced where the records live.
    """

    month = models.DateField(_("月份"), unique=True, help_text=_("该月第一天"))
    locked_at = models.DateTimeField(_("锁定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已定稿月份")
        verbose_name_plural = _("已定稿月份")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}"


def ref_unique() -> models.UniqueConstraint:
    """A record's `ref` is unique in its table, by one index that also serves the console's
    search by the start of a ref (`ref LIKE 'D2026%'`): on PostgreSQL `unique=True` made two, the
    unique one and a `varchar_pattern_ops` twin for LIKE, and every imported row wrote both —
    about a fifth of a million-row import (docs/benchmarks.md, Import)."""
    return models.UniqueConstraint(
        fields=["ref"], name="%(app_label)s_%(class)s_ref_unique", opclasses=["varchar_pattern_ops"]
    )


class Record(models.Model):
    """What every record has: the source system's id, a date, and the staff member it counts for."""

    ref = models.CharField(_("流水号"), max_length=64)  # unique: each table's ref_unique()
    date = models.DateField(_("日期"))
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("员工"))
    # No database constraint on this pointer: on PostgreSQL it would cost every row of a
    # million-row import a foreign-key check, about a third of the import's time, for a value
    # the importer sets itself in the same transaction (docs/benchmarks.md, Import). Deleting a
    # batch still sets it to NULL (on_delete works in Django, not in the database).
    batch = models.ForeignKey(
        ImportBatch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("导入批次"),
        db_constraint=False,
    )

    class Meta:
        abstract = True
        ordering = ["-date", "ref"]

    def __str__(self):
        return self.ref


class AccountOpening(Record):
    customer_hash = models.CharField(_("客户号（密文）"), max_length=64)
    account_type = models.CharField(_("账户类型"), max_length=50, blank=True)
    avg_assets = models.DecimalField(_("日均资产（元）"), max_digits=18, decimal_places=2)

    class Meta(Record.Meta):
        verbose_name = _("开户记录")
        verbose_name_plural = _("开户记录")
        indexes = [models.Index(fields=["date", "staff"])]
        constraints = [ref_unique()]


class Deposit(Record):
    customer_hash = models.CharField(_("客户号（密文）"), max_length=64)
    amount = models.DecimalField(_("金额（元）"), max_digits=18, decimal_places=2)
    product = models.CharField(_("产品"), max_length=50, blank=True)

    class Meta(Record.Meta):
        verbose_name = _("存款记录")
        verbose_name_plural = _("存款记录")
        indexes = [models.Index(fields=["date", "staff"])]
        constraints = [
            ref_unique(),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deposit_amount_not_negative"),
        ]


class EbankingProduct(models.TextChoices):
    ONLINE_BANKING = "online_banking", _("网上银行")
    MOBILE_BANKING = "mobile_banking", _("手机银行")
    WECHAT_BANKING = "wechat_banking", _("微信银行")
    SMS_ALERTS = "sms_alerts", _("短信通知")
    OTHER = "other", _("其他")


class EbankingSale(Record):
    customer_hash = models.CharField(_("客户号（密文）"), max_length=64)
    product = models.CharField(_("产品"), max_length=20, choices=EbankingProduct.choices)
    activated = models.BooleanField(_("是否激活"))

    class Meta(Record.Meta):
        verbose_name = _("电子银行签约")
        verbose_name_plural = _("电子银行签约")
        indexes = [models.Index(fields=["date", "staff"])]
        constraints = [ref_unique()]


class Channel(models.TextChoices):
    PAD = "pad", _("评价器")
    SURVEY = "survey", _("问卷")
    HOTLINE = "hotline", _("客服热线")
    MYSTERY_SHOPPER = "mystery_shopper", _("神秘人")
    LETTER = "letter", _("来信")
    OTHER = "other", _("其他")


class FeedbackKind(models.TextChoices):
    RATING = "rating", _("评价")
    INSPECTION = "inspection", _("暗访")
    PRAISE = "praise", _("表扬")
    COMPLAINT = "complaint", _("投诉")


class Severity(models.TextChoices):
    NORMAL = "normal", _("一般")
    MAJOR = "major", _("重大")


class Feedback(Record):
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    kind = models.CharField(_("类型"), max_length=16, choices=FeedbackKind.choices)
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    upheld = models.BooleanField(_("是否属实"), default=False)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    text = models.TextField(_("内容"), blank=True)

    class Meta(Record.Meta):
        verbose_name = _("客户反馈")
        verbose_name_plural = _("客户反馈")
        indexes = [models.Index(fields=["date", "staff", "kind"])]
        constraints = [
            ref_unique(),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="feedback_score_0_to_100",
            ),
        ]


RECORD_MODELS = {
    "accounts": AccountOpening,
    "deposits": Deposit,
    "ebanking": EbankingSale,
    "feedback": Feedback,
}


class MonthSummary(models.Model):
    """What one staff member's records of one month add up to (SCORING.md §1), kept so that
    computing a month reads one row per staff member rather than every record.

    A cache of the records and nothing more: `metrics.summaries.summaries_refresh` rewrites the
    touched rows from the records in the same transaction as every import and hand correction,
    and `check_summaries YYYY-MM` rebuilds a month from the records to prove nothing drifted.
    `effective` counts at the default threshold (`SUMMARY_EFFECTIVE_THRESHOLD`); a scheme with
    another threshold reads the account openings instead. A staff member with nothing in the
    month has no row.
    """

    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+", verbose_name=_("员工"))
    accounts = models.PositiveIntegerField(_("开户数"), default=0)
    effective = models.PositiveIntegerField(_("有效客户数"), default=0)
    ebanking = models.PositiveIntegerField(_("电子银行激活数"), default=0)
    # Σ amount × (D − d + 1): divided by D it is the month's daily-average contribution, in 元.
    deposits_weighted = models.DecimalField(_("存款日均贡献分子（元·天）"), max_digits=24, decimal_places=2, default=0)
    deposits_total = models.DecimalField(_("存款合计（元）"), max_digits=20, decimal_places=2, default=0)
    ratings = models.PositiveIntegerField(_("评价数"), default=0)
    ratings_good = models.PositiveIntegerField(_("满意评价数"), default=0)
    inspections = models.PositiveIntegerField(_("暗访次数"), default=0)
    inspection_sum = models.DecimalField(_("暗访得分合计"), max_digits=12, decimal_places=2, default=0)
    praise = models.PositiveIntegerField(_("表扬数"), default=0)
    complaints = models.PositiveIntegerField(_("一般投诉数"), default=0)
    major_complaints = models.PositiveIntegerField(_("重大投诉数"), default=0)

    class Meta:
        verbose_name = _("月度汇总")
        verbose_name_plural = _("月度汇总")
        constraints = [models.UniqueConstraint(fields=["month", "staff"], name="month_summary_one_per_staff")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.staff_id}"
