from django.contrib import admin

from metrics.models import AccountOpening, Deposit, EbankingSale, Feedback, ImportBatch, MonthLock, MonthSummary


class RecordAdmin(admin.ModelAdmin):
    """Records are browsed here; changes go through imports or the console, which keep history."""

    list_select_related = ["staff"]
    raw_id_fields = ["staff", "batch"]
    search_fields = ["ref", "staff__employee_no", "staff__name"]
    date_hierarchy = "date"
    show_full_result_count = False
    readonly_fields = ["customer_hash"]


@admin.register(AccountOpening)
class AccountOpeningAdmin(RecordAdmin):
    list_display = ["ref", "date", "staff", "account_type", "avg_assets"]


@admin.register(Deposit)
class DepositAdmin(RecordAdmin):
    list_display = ["ref", "date", "staff", "amount", "product"]


@admin.register(EbankingSale)
class EbankingSaleAdmin(RecordAdmin):
    list_display = ["ref", "date", "staff", "product", "activated"]
    list_filter = ["product", "activated"]


@admin.register(Feedback)
class FeedbackAdmin(RecordAdmin):
    list_display = ["ref", "date", "staff", "channel", "kind", "rating", "score", "upheld", "severity"]
    list_filter = ["kind", "channel", "severity", "upheld"]
    readonly_fields = []


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "kind",
        "filename",
        "outcome",
        "rows",
        "created",
        "updated",
        "unchanged",
        "user",
        "seconds",
    ]
    list_filter = ["kind", "outcome"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(MonthLock)
class MonthLockAdmin(admin.ModelAdmin):
    list_display = ["month", "locked_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MonthSummary)
class MonthSummaryAdmin(admin.ModelAdmin):
    """A cache of the records, shown for looking only: `check_summaries YYYY-MM --fix` rebuilds it."""

    list_display = ["month", "staff", "accounts", "effective", "ebanking", "deposits_total", "ratings", "complaints"]
    list_select_related = ["staff"]
    list_filter = ["month"]
    search_fields = ["staff__employee_no", "staff__name"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
