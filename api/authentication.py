"""Who is calling: `Authorization: Bearer <token>` names an ApiClient; what it may do: one scope
per endpoint; how often: a rate per client."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiClient
from api.selectors import client_for_token
from api.services import api_client_touch


def address_allowed(client: ApiClient, address: str) -> bool:
    if not client.allowed_from:
        return True
    try:
        caller = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(caller in ipaddress.ip_network(network, strict=False) for network in client.allowed_from)


class BearerTokenAuthentication(BaseAuthentication):
    """A bad or revoked token is 401; a good one from an address the client may not use is 403."""

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != b"bearer":
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式无效：应为 Authorization: Bearer <令牌>。"))
        try:
            token = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("令牌无效或已停用。"))
        client = client_for_token(token)
        if client is None or client.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已停用。"))
        address = request.META.get("REMOTE_ADDR", "")
        if not address_allowed(client, address):
            raise exceptions.PermissionDenied(
                _("接口客户端「%(name)s」不允许从 %(address)s 调用。") % {"name": client.name, "address": address}
            )
        api_client_touch(client=client)
        return client, client

    def authenticate_header(self, request):
        return 'Bearer realm="lobbystar"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "create_api_client NAME --scopes …"}


class HasScope(BasePermission):
    """The view names the scope it needs (`required_scope`, or `get_required_scope()`)."""

    def has_permission(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return False
        getter = getattr(view, "get_required_scope", None)
        scope = getter() if getter else view.required_scope
        if scope in client.scopes:
            return True
        self.message = _("此令牌没有 %(scope)s 权限。") % {"scope": scope}
        return False


class ClientRateThrottle(SimpleRateThrottle):
    """Each client has its own allowance (`API_RATE_LIMIT`, e.g. 600/min), counted by token."""

    scope = "api_client"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.token_hash}
