from django.contrib import admin

from api.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """To look at: clients are made and revoked in the console or by command, where the token is
    shown once and the history kept."""

    list_display = ["name", "scopes", "allowed_from", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
