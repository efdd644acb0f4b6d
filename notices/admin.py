from django.contrib import admin

from notices.models import Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "event_key",
        "user",
        "staff",
        "email",
        "read_at",
        "mail_sent_at",
        "wecom_sent_at",
    ]
    list_filter = ["kind"]
    search_fields = ["event_key", "email", "subject"]
    raw_id_fields = ["user", "staff"]
    readonly_fields = [field.name for field in Notice._meta.fields]
