from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("组织与人员")

    def ready(self):
        from staff.importers import register_kinds

        register_kinds()
