"""The HR console's pages (namespace `console`)."""

from django.urls import path, register_converter
from django.views.i18n import set_language

from console.views import api_clients, dashboard, months, notices, records, schemes, scorecards, signins, staff, work


class MonthConverter:
    regex = r"\d{4}-\d{2}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(MonthConverter, "yyyymm")

app_name = "console"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("me/", scorecards.me, name="me"),
    path("inbox/", notices.inbox, name="inbox"),
    path("inbox/<int:pk>/", notices.notice_open, name="notice"),
    path("inbox/read-all/", notices.inbox_read_all, name="inbox_read_all"),
    # months and their workflow
    path("months/", months.month_list, name="months"),
    path("months/compute/", months.month_compute, name="month_compute_new"),
    path("months/<yyyymm:month>/", months.month_detail, name="month"),
    path("months/<yyyymm:month>/compute/", months.month_compute, name="month_compute"),
    path("months/<yyyymm:month>/signoff/", months.month_signoff, name="month_signoff"),
    path("months/<yyyymm:month>/review/", months.month_review, name="month_review"),
    path("months/<yyyymm:month>/remind/", notices.month_remind, name="month_remind"),
    path("months/<yyyymm:month>/finalize/", months.month_finalize, name="month_finalize"),
    path("months/<yyyymm:month>/reopen/", months.month_reopen, name="month_reopen"),
    path("months/<yyyymm:month>/void/", months.month_void, name="month_void"),
    path("months/<yyyymm:month>/branches/<str:code>/pdf/", scorecards.branch_pack_pdf, name="branch_pdf"),
    path("months/<yyyymm:month>/writeups/", months.month_writeups, name="month_writeups"),
    path("months/<yyyymm:month>/pdf-zip/", months.month_pdf_zip, name="month_pdf_zip"),
    path("jobs/<int:pk>/", months.job_detail, name="job"),
    path("jobs/<int:pk>/download/", months.job_download, name="job_download"),
    # scorecards
    path("months/<yyyymm:month>/scorecards/", scorecards.scorecard_list, name="scorecards"),
    path("months/<yyyymm:month>/scorecards/<str:employee_no>/", scorecards.scorecard_detail, name="scorecard"),
    path(
        "months/<yyyymm:month>/scorecards/<str:employee_no>/acknowledge/",
        scorecards.scorecard_acknowledge,
        name="scorecard_acknowledge",
    ),
    path(
        "months/<yyyymm:month>/scorecards/<str:employee_no>/appeal/",
        scorecards.scorecard_appeal,
        name="scorecard_appeal",
    ),
    path(
        "months/<yyyymm:month>/scorecards/<str:employee_no>/pdf/",
        scorecards.scorecard_pdf,
        name="scorecard_pdf",
    ),
    path("appeals/", scorecards.appeal_list, name="appeals"),
    path("appeals/<int:pk>/", scorecards.appeal_detail, name="appeal"),
    path("appeals/<int:pk>/resolve/", scorecards.appeal_resolve, name="appeal_resolve"),
    # staff
    path("staff/", staff.staff_list, name="staff"),
    path("staff/<str:employee_no>/", staff.staff_detail, name="staff_detail"),
    # improvement cases
    path("cases/", work.case_list, name="cases"),
    path("cases/<int:pk>/", work.case_detail, name="case"),
    path("cases/<int:pk>/advance/", work.case_advance_view, name="case_advance"),
    path("cases/<int:pk>/note/", work.case_note_view, name="case_note"),
    path("cases/<int:pk>/close/", work.case_close_view, name="case_close"),
    path("cases/<int:pk>/evidence/<int:event_pk>/", work.case_evidence, name="case_evidence"),
    # records and imports
    path("records/<str:kind>/", records.record_list, name="records"),
    path("records/<str:kind>/new/", records.record_edit, name="record_new"),
    path("records/<str:kind>/<int:pk>/edit/", records.record_edit, name="record_edit"),
    path("imports/", records.import_list, name="imports"),
    path("imports/check/<str:token>/", records.import_check, name="import_check"),
    # targets, write-ups, screens, history
    path("targets/", work.target_list, name="targets"),
    path("targets/new/", work.target_edit, name="target_new"),
    path("targets/<int:pk>/", work.target_edit, name="target_edit"),
    path("writeups/", work.writeup_list, name="writeups"),
    path("writeups/approve/", work.writeups_approve_view, name="writeups_approve"),
    path("writeups/<int:pk>/", work.writeup_detail, name="writeup"),
    path("writeups/<int:pk>/approve/", work.writeup_approve, name="writeup_approve"),
    path("display-screens/", work.screen_list, name="screens"),
    path("display-screens/<int:pk>/revoke/", work.screen_revoke, name="screen_revoke"),
    path("history/", work.history, name="history"),
    # sign-ins (HR) and one's own password
    path("signins/", signins.signin_list, name="signins"),
    path("signins/new/", signins.signin_new, name="signin_new"),
    path("signins/<int:pk>/", signins.signin_detail, name="signin"),
    path("signins/<int:pk>/scope/", signins.signin_scope, name="signin_scope"),
    path("signins/<int:pk>/password/", signins.signin_password, name="signin_password"),
    path("signins/<int:pk>/active/", signins.signin_active, name="signin_active"),
    path("account/password/", signins.PasswordChangeView.as_view(), name="password_change"),
    # schemes: drafts, what-if simulations, adoption
    path("schemes/", schemes.scheme_list, name="schemes"),
    path("schemes/<int:pk>/", schemes.scheme_detail, name="scheme"),
    path("schemes/<int:pk>/copy/", schemes.scheme_copy, name="scheme_copy"),
    path("schemes/<int:pk>/edit/", schemes.scheme_edit, name="scheme_edit"),
    path("schemes/<int:pk>/download/", schemes.scheme_download, name="scheme_download"),
    path("schemes/<int:pk>/simulate/", schemes.scheme_simulate, name="scheme_simulate"),
    path("schemes/<int:pk>/adopt/", schemes.scheme_adopt, name="scheme_adopt"),
    path("simulations/<int:pk>/", schemes.simulation_detail, name="simulation"),
    # clients of the API
    path("api-clients/", api_clients.api_client_list, name="api_clients"),
    path("api-clients/<int:pk>/revoke/", api_clients.api_client_revoke_view, name="api_client_revoke"),
]
