"""Security headers Django does not set itself.

Django 5.2 has no Content-Security-Policy of its own: this adds the one in
`settings.CONTENT_SECURITY_POLICY` to every answer that does not carry one already (X-Content-Type-Options
and Referrer-Policy come from Django's SecurityMiddleware).
"""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
