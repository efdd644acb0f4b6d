from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalsConfig(AppConfig):
    name = "appraisals"
    verbose_name = _("考核")

    def ready(self):
        from appraisals.importers import register_targets

        register_targets()
