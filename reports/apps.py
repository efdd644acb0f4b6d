from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("报表")

    def ready(self):
        from appraisals.services.jobs import job_kind_register
        from reports import tasks  # noqa: F401 - registered here too, so the pack's chord also runs eagerly
        from reports.services import pdf_zip_work

        job_kind_register("pdf_zip", pdf_zip_work)
