from django.contrib import admin

from audit.models import Change


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "content_type", "object_repr", "action", "user", "reason", "source"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "reason", "source"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
