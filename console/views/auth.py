"""Signing in and out, the friendly lockout page, and keeping the admin to HR."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST


class ConsoleLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        # django-axes marks the request when this attempt locked the sign-in; show our page, not its text.
        if getattr(self.request, "axes_locked_out", False):
            self.request.axes_locked_out = False
            return locked_out(self.request)
        return super().form_invalid(form)


def failure_limit(request, credentials) -> int:
    """django-axes counts the failures of this user name from this address and of this address
    alone, and compares the larger with this limit: the per-user limit once the user name itself
    has reached it, the (higher) per-address limit otherwise."""
    from axes.helpers import get_client_username
    from axes.models import AccessAttempt

    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None)
    pair_failures = (
        AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
            total=Sum("failures_since_start")
        )["total"]
        or 0
    )
    if pair_failures >= settings.AXES_USER_FAILURE_LIMIT:
        return settings.AXES_USER_FAILURE_LIMIT
    return settings.AXES_ADDRESS_FAILURE_LIMIT


def locked_out(request):
    context = {
        "failure_limit": settings.AXES_USER_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME * 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)


@require_POST
def logout_view(request):
    response = auth_views.LogoutView.as_view()(request)
    messages.info(request, _("您已安全退出。"))
    return response


def admin_login(request, **kwargs):
    """The admin is HR's (staff flag): anyone else who is signed in gets a 403, not a second login."""
    if request.user.is_authenticated and not request.user.is_staff:
        raise PermissionDenied
    return admin.site.login(request, **kwargs)
