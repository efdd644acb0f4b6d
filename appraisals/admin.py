from django.contrib import admin

from appraisals.models import (
    Acknowledgement,
    Appeal,
    BranchSignoff,
    CaseEvent,
    EngineInputs,
    ImprovementCase,
    Job,
    Period,
    Scheme,
    SchemeAdoption,
    Scorecard,
    Screen,
    Simulation,
    Target,
    WriteUp,
)


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    """HR makes a new version by saving a copy with a higher version number; a version that
    has produced scorecards is read-only, so every stored number stays explainable."""

    list_display = ["code", "version", "name", "position", "status", "active", "created_at", "created_by"]
    list_filter = ["status", "active", "position"]
    save_as = True

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and Scorecard.objects.filter(scheme=obj).exists():
            return ["code", "version", "position", "parameters"]
        return []

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    """Months move through their states with the commands or the console, never by hand here."""

    list_display = [
        "month",
        "status",
        "scheme",
        "scorecard_count",
        "computed_at",
        "finalized_at",
        "reopened_at",
    ]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Period._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["month", "scope_kind", "branch", "staff", "item", "target"]
    list_filter = ["month", "scope_kind", "item"]
    raw_id_fields = ["branch", "staff"]
    list_select_related = ["branch", "staff"]


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = [
        "period",
        "staff",
        "branch",
        "peer_group",
        "score",
        "grade",
        "rank",
        "group_size",
        "rolling",
        "bottom_flag",
        "exempt",
        "veto",
    ]
    list_filter = ["period", "grade", "bottom_flag", "exempt", "veto", "peer_group"]
    search_fields = ["staff__employee_no", "staff__name"]
    list_select_related = ["period", "staff", "branch", "peer_group"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ["kind", "stage", "note", "evidence", "user", "at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ImprovementCase)
class ImprovementCaseAdmin(admin.ModelAdmin):
    list_display = ["staff", "opened_period", "stage", "status", "opened_at", "closed_month"]
    list_filter = ["status", "stage"]
    search_fields = ["staff__employee_no", "staff__name"]
    list_select_related = ["staff", "opened_period"]
    readonly_fields = [
        "staff",
        "opened_period",
        "stage",
        "status",
        "opened_at",
        "closed_month",
        "closed_at",
        "outcome_note",
    ]
    inlines = [CaseEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that the console's services write, with their history; here to look at, not to edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["period", "staff", "user", "at"]
    list_select_related = ["period", "staff", "user"]
    search_fields = ["staff__employee_no", "staff__name"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["period", "staff", "status", "created_at", "resolved_by", "resolved_at"]
    list_filter = ["status", "period"]
    list_select_related = ["period", "staff", "resolved_by"]
    search_fields = ["staff__employee_no", "staff__name", "text"]


@admin.register(BranchSignoff)
class BranchSignoffAdmin(ReadOnlyAdmin):
    list_display = ["period", "branch", "user", "at"]
    list_filter = ["period"]
    list_select_related = ["period", "branch", "user"]


@admin.register(WriteUp)
class WriteUpAdmin(ReadOnlyAdmin):
    list_display = ["period", "staff", "scope", "status", "edited_by", "approved_by", "approved_at"]
    list_filter = ["status", "scope", "period"]
    list_select_related = ["period", "staff", "edited_by", "approved_by"]
    search_fields = ["staff__employee_no", "staff__name"]


@admin.register(Screen)
class ScreenAdmin(ReadOnlyAdmin):
    list_display = ["name", "branch", "top_n", "rotate_seconds", "show_deposits", "last_seen_at", "revoked_at"]
    list_filter = ["show_deposits", "name_style"]
    list_select_related = ["branch"]
    exclude = ["token_hash"]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "state", "done", "total", "created_by", "finished_at"]
    list_filter = ["kind", "state"]


@admin.register(SchemeAdoption)
class SchemeAdoptionAdmin(ReadOnlyAdmin):
    list_display = ["scheme", "from_month", "reason", "created_by", "created_at"]
    list_select_related = ["scheme", "created_by"]


@admin.register(Simulation)
class SimulationAdmin(ReadOnlyAdmin):
    list_display = ["scheme", "first", "last", "row_count", "created_by", "created_at", "finished_at"]
    list_select_related = ["scheme", "created_by"]
    exclude = ["table"]


@admin.register(EngineInputs)
class EngineInputsAdmin(ReadOnlyAdmin):
    list_display = ["period", "effective_threshold", "fingerprint", "created_at"]
    list_select_related = ["period"]
    exclude = ["data"]
