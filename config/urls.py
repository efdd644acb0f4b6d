from django.contrib import admin
from django.urls import include, path

from config import views
from console.views import auth as console_auth

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/login/", console_auth.admin_login),
    path("admin/", admin.site.urls),
    path("accounts/login/", console_auth.ConsoleLoginView.as_view(), name="login"),
    path("accounts/logout/", console_auth.logout_view, name="logout"),
    path("screens/", include("screens.urls")),
    path("api/", include("api.urls")),
    path("", include("console.urls")),
]
