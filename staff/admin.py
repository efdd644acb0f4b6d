from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from staff.models import Absence, Assignment, Branch, Membership, Staff


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["path"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["valid_from", "valid_to", "branch", "position", "position_since", "status"]
    raw_id_fields = ["branch"]


class AbsenceInline(admin.TabularInline):
    model = Absence
    extra = 0


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["employee_no", "name", "branch", "position", "position_since", "status"]
    list_filter = ["position", "status", "branch__level"]
    search_fields = ["employee_no", "name", "branch__name", "branch__code"]
    list_select_related = ["branch"]
    raw_id_fields = ["branch"]
    inlines = [AssignmentInline, AbsenceInline]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["staff", "kind", "start", "end"]
    list_filter = ["kind"]
    search_fields = ["staff__employee_no", "staff__name"]
    list_select_related = ["staff"]
    raw_id_fields = ["staff"]
    date_hierarchy = "start"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "branch", "staff"]
    list_filter = ["role"]
    search_fields = ["user__username", "staff__name", "branch__name"]
    list_select_related = ["user", "branch", "staff"]
    raw_id_fields = ["user", "branch", "staff"]


admin.site.site_header = _("大堂之星 LobbyStar 管理后台")
admin.site.site_title = _("大堂之星")
admin.site.index_title = _("数据管理")
