"""/api/: the description, its page, version 1, and JSON 404 for anything else."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import views
from api.exceptions import not_found

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("v1/months/", views.MonthList.as_view(), name="months"),
    re_path(
        r"^v1/months/(?P<month>\d{4}-\d{2})/scorecards/$", views.MonthScorecards.as_view(), name="month_scorecards"
    ),
    path("v1/staff/<str:employee_no>/scorecards/", views.StaffScorecards.as_view(), name="staff_scorecards"),
    path("v1/records/<str:kind>/", views.Records.as_view(), name="records"),
    # [\s\S], not ".": a path holding a newline (%0A) must not fall through to the console's HTML 404.
    re_path(r"^[\s\S]*$", not_found),
]
