from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("业绩数据")

    def ready(self):
        from metrics.importers import register_kinds

        register_kinds()
